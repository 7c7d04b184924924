using LineBridge.Storage;

namespace LineBridge.Infrastructure;

/// <summary>
/// The storage an app under test runs on, for integration suites that run once per provider (an abstract suite and
/// two subclasses, as the store contracts do): nothing to add for LiteDB (the app's temp data folder), a fresh
/// database for PostgreSQL (skipped without a server, failing under CI=true; dropped when disposed, after the app).
/// <code>
/// await using var storage = await AppStorage.OpenAsync(provider);
/// await using var app = await SandboxedApp.StartAsync(settings: storage.With(mySettings));
/// </code>
/// </summary>
public sealed class AppStorage : IAsyncDisposable
{
    private readonly TestDatabase? _database;

    private AppStorage(TestDatabase? database)
    {
        _database = database;
        Settings = database is null
            ? new Dictionary<string, string?>()
            : new Dictionary<string, string?>
            {
                [StorageProviders.ProviderKey] = nameof(StorageProvider.PostgreSql),
                [$"ConnectionStrings:{StorageProviders.ConnectionStringName}"] = database.ConnectionString,
            };
    }

    /// <summary>The app settings that select this storage.</summary>
    public IDictionary<string, string?> Settings { get; }

    public static async Task<AppStorage> OpenAsync(StorageProvider provider) =>
        provider == StorageProvider.LiteDb ? new AppStorage(null) : new AppStorage(await TestPostgres.CreateDatabaseAsync(TestContext.Current.CancellationToken));

    /// <summary><paramref name="settings"/> plus the storage's own.</summary>
    public IDictionary<string, string?> With(IDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        foreach (var (key, value) in Settings) all[key] = value;
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
    }
}
