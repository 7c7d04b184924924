using LineBridge.Storage.LiteDb;
using LineBridge.Storage.PostgreSql;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace LineBridge.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// One <see cref="LiteDatabase"/> per file per process (LiteDB's rule), and the data-protection key ring beside
    /// it so tokens encrypted at rest survive restarts. With <c>Storage:Provider</c> = <c>PostgreSql</c>, the portal
    /// registry, API keys, line states, webhooks and the key ring live in the shared PostgreSQL database instead
    /// (schema migrated at start), and so do the message log, its outbox and search (<see cref="PostgreSqlMessageStore"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The provider or its connection string is invalid (see <see cref="StorageProviders"/>).</exception>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        var provider = StorageProviders.Resolve(builder.Configuration);
        StorageThreads.EnsureMinimum();

        builder.Services.AddOptions<LiteDbOptions>().BindConfiguration(LiteDbOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "Storage:DataDirectory is required.")
            .ValidateOnStart();

        var dataDirectory = DataDirectory(builder.Configuration, builder.Environment);
        // Tokens, secrets and the key ring that decrypts them live here: nobody but the app's own user may read it.
        OwnerOnly.CreateDirectory(dataDirectory);
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("LineBridge");
        if (provider == StorageProvider.PostgreSql)
        {
            var connectionString = builder.Configuration.GetConnectionString(StorageProviders.ConnectionStringName)!;
            builder.Services.AddSingleton(_ => new PostgreSqlDatabase(connectionString));
            builder.Services.AddHostedService<PostgreSqlStartup>();
            // Every instance reads the one key ring, so a token one instance encrypted decrypts on another.
            builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(
                o => o.XmlRepository = new PostgreSqlXmlRepository(sp.GetRequiredService<PostgreSqlDatabase>())));
            // Token refresh stays single-flight across instances (Bitrix24 refresh tokens are single-use).
            builder.Services.AddSingleton<IPortalRefreshLock>(sp => new PostgreSqlRefreshLock(sp.GetRequiredService<PostgreSqlDatabase>()));
            // A portal's REST budget is one bucket for all instances (the in-process limiter would give each its own).
            builder.Services.AddSingleton<Bitrix24.IPortalRateLimiter>(sp => new PostgreSqlRateLimiter(
                sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetRequiredService<IOptions<Install.Bitrix24AppOptions>>(),
                sp.GetService<TimeProvider>() ?? TimeProvider.System));
            // Live status for every page: changes made here are NOTIFYed, changes made elsewhere are heard and reloaded.
            builder.Services.AddSingleton<PostgreSqlMessageChangeFeed>();
            builder.Services.AddSingleton<Messages.IMessageChangeFeed>(sp => sp.GetRequiredService<PostgreSqlMessageChangeFeed>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgreSqlMessageChangeFeed>());
            builder.Services.AddHostedService<PostgreSqlMessageChangeListener>();
            builder.Services.AddSingleton<IPortalRecords>(sp => new PostgreSqlPortalRecords(sp.GetRequiredService<PostgreSqlDatabase>()));
            builder.Services.AddSingleton<IApiKeyRecords>(sp => new PostgreSqlApiKeyRecords(sp.GetRequiredService<PostgreSqlDatabase>()));
            builder.Services.AddSingleton<ILineConnectionRecords>(sp => new PostgreSqlLineConnectionRecords(sp.GetRequiredService<PostgreSqlDatabase>()));
            builder.Services.AddSingleton<ILineWebhookRecords>(sp => new PostgreSqlLineWebhookRecords(sp.GetRequiredService<PostgreSqlDatabase>()));
            var lease = builder.Configuration.GetValue<TimeSpan?>(OutboxLeaseKey);
            builder.Services.AddSingleton(sp => new PostgreSqlMessageStore(
                sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>() ?? TimeProvider.System, lease));
            AddMessageContracts<PostgreSqlMessageStore>(builder.Services);
            // Events received by any instance wait in the shared inbox; one instance at a time applies a portal's.
            builder.Services.AddSingleton<Events.IEventInboxStore>(sp => new PostgreSqlEventInbox(
                sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetService<TimeProvider>() ?? TimeProvider.System, lease));
            builder.Services.AddSingleton<IChatRecords>(sp => new PostgreSqlChatRecords(sp.GetRequiredService<PostgreSqlDatabase>()));
            // Other instances add chats too: a line's cached chats leave the cache after 30 s unused (not 10 minutes).
            builder.Services.AddSingleton(sp => new Messages.ChatDirectory(
                sp.GetRequiredService<IChatRecords>(), idleTime: TimeSpan.FromSeconds(30), time: sp.GetService<TimeProvider>()));
        }
        else
        {
            OwnerOnly.CreateDirectory(Path.Combine(dataDirectory, "keys"));
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));
            builder.Services.AddSingleton<IPortalRefreshLock, SingleProcessRefreshLock>();
            builder.Services.AddSingleton<IPortalRecords>(sp => new LiteDbPortalRecords(sp.GetRequiredService<LiteDatabase>()));
            builder.Services.AddSingleton<IApiKeyRecords>(sp => new LiteDbApiKeyRecords(sp.GetRequiredService<LiteDatabase>()));
            builder.Services.AddSingleton<ILineConnectionRecords>(sp => new LiteDbLineConnectionRecords(sp.GetRequiredService<LiteDatabase>()));
            builder.Services.AddSingleton<ILineWebhookRecords>(sp => new LiteDbLineWebhookRecords(sp.GetRequiredService<LiteDatabase>()));
            builder.Services.AddSingleton(sp => new LiteDbMessageStore(
                sp.GetRequiredService<LiteDatabase>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
            AddMessageContracts<LiteDbMessageStore>(builder.Services);
            builder.Services.AddSingleton<Events.IEventInboxStore>(sp => new LiteDbEventInbox(sp.GetRequiredService<LiteDatabase>()));
            builder.Services.AddSingleton<IChatRecords>(sp => new LiteDbChatRecords(sp.GetRequiredService<LiteDatabase>()));
            builder.Services.AddSingleton(sp => new Messages.ChatDirectory(sp.GetRequiredService<IChatRecords>()));
        }

        builder.Services.AddSingleton<LiteDatabase>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LiteDbOptions>>().Value;
            Directory.CreateDirectory(dataDirectory);
            var path = Path.Combine(dataDirectory, options.FileName);
            // Direct mode with a log LineBridge flushes itself: one fsync per (group) commit, see DurableLiteDatabase.
            var database = DurableLiteDatabase.Open(path);
            OwnerOnly.RestrictFile(path);
            OwnerOnly.RestrictFile(DurableLiteDatabase.LogPath(path));
            return database;
        });
        return builder;
    }

    /// <summary>
    /// How long an instance holds a claimed outbox item, and a portal's reply deliveries and received events, on
    /// PostgreSQL (<c>Storage:OutboxLease</c>, a TimeSpan such as <c>00:02:00</c>; default 2 minutes): another instance
    /// takes the work of one that stopped after this long.
    /// </summary>
    public const string OutboxLeaseKey = "Storage:OutboxLease";

    /// <summary>The message store's four contracts, all served by one <typeparamref name="T"/> (they share transactions).</summary>
    private static void AddMessageContracts<T>(IServiceCollection services)
        where T : class, IMessageLogStore, IOutboxStore, IMessageSearchStore, IReplyStore
    {
        services.AddSingleton<IMessageLogStore>(sp => sp.GetRequiredService<T>());
        services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<T>());
        services.AddSingleton<IMessageSearchStore>(sp => sp.GetRequiredService<T>());
        services.AddSingleton<IReplyStore>(sp => sp.GetRequiredService<T>());
    }

    /// <summary>The absolute data folder for this configuration.</summary>
    public static string DataDirectory(IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration[$"{LiteDbOptions.Section}:{nameof(LiteDbOptions.DataDirectory)}"] ?? "data";
        return Path.GetFullPath(Path.Combine(environment.ContentRootPath, configured));
    }
}
