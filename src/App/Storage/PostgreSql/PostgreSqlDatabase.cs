using Npgsql;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// The shared PostgreSQL database (<c>ConnectionStrings:LineBridge</c>): one pooled <see cref="NpgsqlDataSource"/> per
/// process. The schema is brought to this build's version (<see cref="PostgreSqlMigrations"/>) before the first
/// connection is handed out, so every store can rely on its tables.
/// </summary>
public sealed class PostgreSqlDatabase : IDisposable
{
    private readonly Lock _gate = new();
    private bool _migrated;

    /// <summary>Opens the pool; connects lazily (the first <see cref="Open"/> or <see cref="Migrate"/>).</summary>
    /// <exception cref="InvalidOperationException">The connection string is not a valid Npgsql connection string.</exception>
    public PostgreSqlDatabase(string connectionString)
    {
        try
        {
            DataSource = new NpgsqlDataSourceBuilder(connectionString) { Name = "LineBridge" }.Build();
        }
        catch (ArgumentException e)
        {
            // The message names the bad keyword, never the string itself (it may hold a password).
            throw new InvalidOperationException(
                $"ConnectionStrings:{StorageProviders.ConnectionStringName} is not a valid PostgreSQL connection string: {e.Message}", e);
        }
    }

    /// <summary>The pool, for callers that manage their own connections (the migration command, health checks).</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>An open connection from the pool, after the schema is current. Dispose it to return it.</summary>
    public NpgsqlConnection Open()
    {
        Migrate();
        return DataSource.OpenConnection();
    }

    /// <summary>Applies the migrations this process has not yet checked; returns how many this call applied.</summary>
    public int Migrate()
    {
        lock (_gate)
        {
            if (_migrated) return 0;
            var applied = PostgreSqlMigrations.Apply(DataSource);
            _migrated = true;
            return applied;
        }
    }

    public void Dispose() => DataSource.Dispose();
}
