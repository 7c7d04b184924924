using LineBridge.Infrastructure;
using LineBridge.Storage.LiteDb;
using LineBridge.Storage.PostgreSql;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Storage.Contracts;

/// <summary>
/// One provider's stores for a contract test: LiteDB in a fresh file opened as the app opens it, or PostgreSQL in a
/// fresh database (migrated). Each contract suite is an abstract class run once per provider by two small subclasses.
/// </summary>
/// <remarks>
/// The LiteDB file is a <see cref="DurableLiteDatabase"/>, never a plain in-memory <see cref="LiteDatabase"/>: the
/// message store's background workers (committer, deriver of search entries) may still be writing when a test ends,
/// and only the app's database closes under the write gate and refuses writes after. A plain one closed its engine
/// under a derivation in flight; LiteDB left that write transaction open, and the finalizer thread's rollback of it
/// ("discarded page must be writable") later ended the whole test process during an unrelated test.
/// </remarks>
public sealed class StoreBackend : IAsyncDisposable
{
    private readonly DurableLiteDatabase? _lite;
    private readonly string? _liteFolder;
    private readonly TestDatabase? _testDatabase;
    private readonly List<ServiceProvider> _keyRings = [];

    private StoreBackend(StorageProvider provider, DurableLiteDatabase? lite, string? liteFolder, TestDatabase? testDatabase, PostgreSqlDatabase? postgres)
    {
        Provider = provider;
        _lite = lite;
        _liteFolder = liteFolder;
        _testDatabase = testDatabase;
        Postgres = postgres;
    }

    public StorageProvider Provider { get; }

    /// <summary>The PostgreSQL database (null on LiteDB).</summary>
    public PostgreSqlDatabase? Postgres { get; }

    /// <summary>The connection string of the test's PostgreSQL database (null on LiteDB).</summary>
    public string? ConnectionString => _testDatabase?.ConnectionString;

    /// <summary>The LiteDB file (null on PostgreSQL).</summary>
    internal LiteDatabase? LiteDb => _lite;

    /// <summary>Opens the provider; on PostgreSQL skips the test (fails under CI=true) when no server is configured.</summary>
    public static async Task<StoreBackend> OpenAsync(StorageProvider provider)
    {
        if (provider == StorageProvider.LiteDb)
        {
            var folder = Path.Combine(Path.GetTempPath(), "lb-contract-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            return new StoreBackend(provider, DurableLiteDatabase.Open(Path.Combine(folder, "contract.db")), folder, null, null);
        }
        var database = await TestPostgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
        var postgres = new PostgreSqlDatabase(database.ConnectionString);
        postgres.Migrate();
        return new StoreBackend(provider, null, null, database, postgres);
    }

    internal IPortalRecords PortalRecords() =>
        Postgres is { } pg ? new PostgreSqlPortalRecords(pg) : new LiteDbPortalRecords(_lite!);

    internal IApiKeyRecords ApiKeyRecords() =>
        Postgres is { } pg ? new PostgreSqlApiKeyRecords(pg) : new LiteDbApiKeyRecords(_lite!);

    internal ILineConnectionRecords LineConnectionRecords() =>
        Postgres is { } pg ? new PostgreSqlLineConnectionRecords(pg) : new LiteDbLineConnectionRecords(_lite!);

    internal ILineWebhookRecords LineWebhookRecords() =>
        Postgres is { } pg ? new PostgreSqlLineWebhookRecords(pg) : new LiteDbLineWebhookRecords(_lite!);

    internal IChatRecords ChatRecords() =>
        Postgres is { } pg ? new PostgreSqlChatRecords(pg) : new LiteDbChatRecords(_lite!);

    /// <summary>
    /// A message store as one app instance has it. On PostgreSQL each call is another instance on the same database
    /// (its own outbox holder, <paramref name="lease"/> long); on LiteDB call it once (one process holds the file).
    /// </summary>
    internal MessageStore Messages(TimeProvider? time = null, TimeSpan? lease = null)
    {
        if (Postgres is { } pg)
        {
            var store = new PostgreSqlMessageStore(pg, time ?? TimeProvider.System, lease);
            return new MessageStore(store, store, store, store);
        }
        return new MessageStore(_lite!, time ?? TimeProvider.System);
    }

    /// <summary>
    /// The event inbox's records as one app instance has them: on PostgreSQL each call is another instance (its own
    /// lease holder, <paramref name="lease"/> long); on LiteDB the one file's.
    /// </summary>
    internal Events.IEventInboxStore EventInbox(TimeProvider? time = null, TimeSpan? lease = null) =>
        Postgres is { } pg ? new PostgreSqlEventInbox(pg, time ?? TimeProvider.System, lease) : new LiteDbEventInbox(_lite!);

    /// <summary>
    /// A Data Protection provider as one app instance would have it: on PostgreSQL its key ring is the shared table,
    /// so two calls give two "instances" that read each other's payloads; on LiteDB, a key ring in memory.
    /// </summary>
    public IDataProtectionProvider DataProtection()
    {
        if (Postgres is null) return new EphemeralDataProtectionProvider();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection().SetApplicationName("LineBridge");
        var postgres = Postgres;
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new PostgreSqlXmlRepository(postgres));
        var provider = services.BuildServiceProvider();
        _keyRings.Add(provider);
        return provider.GetRequiredService<IDataProtectionProvider>();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var ring in _keyRings) await ring.DisposeAsync();
        _lite?.Dispose();   // waits for a write in progress; the store's workers are refused after it
        if (_liteFolder is not null)
        {
            try { Directory.Delete(_liteFolder, recursive: true); } catch (IOException) { }
        }
        Postgres?.Dispose();
        if (_testDatabase is not null) await _testDatabase.DisposeAsync();
    }
}
