using Dapper;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// Versioned schema migrations. Each has a number and runs once, in order, inside one transaction with the others
/// of the same run; <c>schema_migrations</c> records what was applied. A transaction-scoped advisory lock makes
/// instances that start together apply them once. Never edit a shipped migration: add the next number.
/// </summary>
public static class PostgreSqlMigrations
{
    // An arbitrary constant shared by every LineBridge instance ("LB" + "migr").
    private const long LockKey = 0x4C42_6D69_6772;

    /// <summary>The migrations in order: (version, name, SQL).</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> All { get; } =
    [
        (1, "portals, api keys, lines, webhooks, data protection keys", """
            CREATE TABLE portals (
                member_id text PRIMARY KEY,
                domain text NOT NULL,
                client_endpoint text NOT NULL,
                server_endpoint text,
                access_token text,
                refresh_token text,
                access_token_expires_at timestamptz,
                application_token text,
                scopes text,
                language text,
                status text NOT NULL,
                status_reason text,
                installed_by_user_id integer,
                installed_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL);
            CREATE TABLE api_keys (
                member_id text PRIMARY KEY,
                hash text NOT NULL UNIQUE,
                hint text NOT NULL,
                created_at timestamptz NOT NULL);
            CREATE TABLE line_connections (
                id text PRIMARY KEY,
                member_id text NOT NULL,
                line integer NOT NULL,
                state text NOT NULL,
                changed_at timestamptz NOT NULL);
            CREATE INDEX line_connections_member ON line_connections (member_id, line);
            CREATE TABLE line_webhooks (
                id text PRIMARY KEY,
                member_id text NOT NULL,
                line integer NOT NULL,
                url text,
                protected_secret text,
                secret_created_at timestamptz,
                secret_hint text);
            CREATE TABLE data_protection_keys (
                friendly_name text PRIMARY KEY,
                xml text NOT NULL,
                stored_at timestamptz NOT NULL DEFAULT now());
            """),
        // When the stored refresh token was obtained, so a quiet portal's tokens are refreshed before it lapses.
        (2, "portals: refresh_token_issued_at", """
            ALTER TABLE portals ADD COLUMN refresh_token_issued_at timestamptz;
            """),
        // Each portal's REST budget, shared by the instances (PostgreSqlRateLimiter): the bucket's next free slot.
        (3, "portal_rate_budgets", """
            CREATE TABLE portal_rate_budgets (
                member_id text PRIMARY KEY,
                next_free_at timestamptz NOT NULL);
            """),
    ];

    /// <summary>The schema version this build expects.</summary>
    public static int LatestVersion => All[^1].Version;

    /// <summary>Brings the database to <see cref="LatestVersion"/>; returns how many migrations were applied.</summary>
    /// <exception cref="InvalidOperationException">The database cannot be reached, or its schema is newer than this build.</exception>
    public static int Apply(NpgsqlDataSource dataSource)
    {
        NpgsqlConnection connection;
        try
        {
            connection = dataSource.OpenConnection();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            var target = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            throw new InvalidOperationException(
                $"Cannot reach PostgreSQL at {target.Host}:{target.Port} (database '{target.Database}', from ConnectionStrings:" +
                $"{StorageProviders.ConnectionStringName}): {e.Message}", e);
        }
        using (connection)
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute("SELECT pg_advisory_xact_lock(@LockKey)", new { LockKey }, transaction);
            connection.Execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, transaction: transaction);
            var current = connection.ExecuteScalar<int?>("SELECT max(version) FROM schema_migrations", transaction: transaction) ?? 0;
            if (current > LatestVersion)
                throw new InvalidOperationException(
                    $"The database schema is at version {current}, newer than this build of LineBridge knows ({LatestVersion}). " +
                    "Run the newer LineBridge, or restore a backup made for this one.");
            var applied = 0;
            foreach (var (version, name, sql) in All.Where(m => m.Version > current))
            {
                connection.Execute(sql, transaction: transaction);
                connection.Execute("INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", new { version, name }, transaction);
                applied++;
            }
            transaction.Commit();
            return applied;
        }
    }
}
