using LiteDB;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace LineBridge.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// One <see cref="LiteDatabase"/> per file per process (LiteDB's rule), and the data-protection key ring beside
    /// it so tokens encrypted at rest survive restarts.
    /// </summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LiteDbOptions>().BindConfiguration(LiteDbOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "Storage:DataDirectory is required.")
            .ValidateOnStart();

        var dataDirectory = DataDirectory(builder.Configuration, builder.Environment);
        // Tokens, secrets and the key ring that decrypts them live here: nobody but the app's own user may read it.
        OwnerOnly.CreateDirectory(dataDirectory);
        OwnerOnly.CreateDirectory(Path.Combine(dataDirectory, "keys"));
        builder.Services.AddDataProtection()
            .SetApplicationName("LineBridge")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));

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
