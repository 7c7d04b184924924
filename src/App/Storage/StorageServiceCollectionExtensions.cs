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
    /// (schema migrated at start); the message log stays in the LiteDB file until it has a PostgreSQL implementation.
    /// </summary>
    /// <exception cref="InvalidOperationException">The provider or its connection string is invalid (see <see cref="StorageProviders"/>).</exception>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        var provider = StorageProviders.Resolve(builder.Configuration);

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

    /// <summary>The absolute data folder for this configuration.</summary>
    public static string DataDirectory(IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration[$"{LiteDbOptions.Section}:{nameof(LiteDbOptions.DataDirectory)}"] ?? "data";
        return Path.GetFullPath(Path.Combine(environment.ContentRootPath, configured));
    }
}
