using LineBridge.Storage.PostgreSql;

namespace LineBridge.Storage;

/// <summary>
/// The storage commands of the app's command line: <c>migrate</c> brings the PostgreSQL schema to this build's
/// version and exits (the app also does it at start; the command lets operations migrate before rolling instances).
/// </summary>
public static class StorageCommands
{
    /// <summary>The command word: <c>dotnet LineBridge.dll migrate</c>.</summary>
    public const string Migrate = "migrate";

    /// <summary>True when the first argument asks for <see cref="Migrate"/>.</summary>
    public static bool IsMigrate(string[] args) => args is [var first, ..] && string.Equals(first, Migrate, StringComparison.OrdinalIgnoreCase);

    /// <summary>Runs <see cref="Migrate"/>; returns the process exit code (0 done, 1 failed, with the reason on stderr).</summary>
    public static int RunMigrate(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        try
        {
            if (StorageProviders.Resolve(configuration) != StorageProvider.PostgreSql)
            {
                output.WriteLine($"{StorageProviders.ProviderKey} is {StorageProvider.LiteDb}: the embedded file needs no migrations.");
                return 0;
            }
            using var database = new PostgreSqlDatabase(configuration.GetConnectionString(StorageProviders.ConnectionStringName)!);
            var applied = database.Migrate();
            output.WriteLine($"PostgreSQL schema is at version {PostgreSqlMigrations.LatestVersion} ({applied} migration(s) applied now).");
            return 0;
        }
        catch (InvalidOperationException e)
        {
            error.WriteLine($"Migration failed: {e.Message}");
            return 1;
        }
    }
}
