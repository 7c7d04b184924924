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
        builder.Services.AddDataProtection()
            .SetApplicationName("LineBridge")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));

        builder.Services.AddSingleton<LiteDatabase>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LiteDbOptions>>().Value;
            Directory.CreateDirectory(dataDirectory);
            // Direct mode with a log LineBridge flushes itself: one fsync per (group) commit, see DurableLiteDatabase.
            return DurableLiteDatabase.Open(Path.Combine(dataDirectory, options.FileName));
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
