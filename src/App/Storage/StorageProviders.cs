namespace LineBridge.Storage;

/// <summary>Which engine keeps LineBridge's data (<c>Storage:Provider</c>).</summary>
public enum StorageProvider
{
    /// <summary>The embedded default: one LiteDB file in <c>Storage:DataDirectory</c>, one process.</summary>
    LiteDb,
    /// <summary>A PostgreSQL database (<c>ConnectionStrings:LineBridge</c>) that several instances share.</summary>
    PostgreSql,
}

/// <summary>Reads and validates the storage provider choice from configuration.</summary>
public static class StorageProviders
{
    /// <summary>The configuration key of the provider choice.</summary>
    public const string ProviderKey = "Storage:Provider";

    /// <summary>The name under <c>ConnectionStrings</c> that holds the PostgreSQL connection string.</summary>
    public const string ConnectionStringName = "LineBridge";

    /// <summary>The configured provider; <see cref="StorageProvider.LiteDb"/> when none is set.</summary>
    /// <exception cref="InvalidOperationException">An unknown provider, or PostgreSQL without a connection string.</exception>
    public static StorageProvider Resolve(IConfiguration configuration)
    {
        var configured = configuration[ProviderKey];
        StorageProvider provider;
        if (string.IsNullOrWhiteSpace(configured)) provider = StorageProvider.LiteDb;
        else if (!Enum.TryParse(configured.Trim(), ignoreCase: true, out provider) || !Enum.IsDefined(provider))
            throw new InvalidOperationException(
                $"{ProviderKey} is '{configured}': use '{StorageProvider.LiteDb}' (the default, one embedded file) or " +
                $"'{StorageProvider.PostgreSql}' (with ConnectionStrings:{ConnectionStringName}).");
        if (provider == StorageProvider.PostgreSql && string.IsNullOrWhiteSpace(configuration.GetConnectionString(ConnectionStringName)))
            throw new InvalidOperationException(
                $"{ProviderKey} is '{StorageProvider.PostgreSql}' but ConnectionStrings:{ConnectionStringName} is empty: set it, e.g. " +
                $"ConnectionStrings__{ConnectionStringName}=\"Host=127.0.0.1;Port=5432;Database=linebridge;Username=linebridge;Password=...\".");
        if (provider == StorageProvider.PostgreSql)
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(configuration.GetConnectionString(ConnectionStringName));
            }
            catch (ArgumentException e)
            {
                // The message names the bad keyword, never the string itself (it may hold a password).
                throw new InvalidOperationException(
                    $"ConnectionStrings:{ConnectionStringName} is not a valid PostgreSQL connection string: {e.Message}", e);
            }
        }
        return provider;
    }
}
