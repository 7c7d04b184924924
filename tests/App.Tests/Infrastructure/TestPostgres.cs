using Npgsql;

namespace LineBridge.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests may use: its connection string comes from <c>LINEBRIDGE_TEST_POSTGRES</c> (set by
/// <c>.ci/run</c>, which starts a private cluster). Without it, PostgreSQL tests skip with a message, except under
/// CI=true, where a missing server is a failure (the same rule as for Chromium). Each test gets its own database.
/// </summary>
public static class TestPostgres
{
    /// <summary>The variable that holds the server's connection string (any database; tests create their own).</summary>
    public const string Variable = "LINEBRIDGE_TEST_POSTGRES";

    public static string? ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured ? configured : null;

    private static bool RunningInCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips the test (fails it under CI=true) when no server is configured.</summary>
    public static string Require()
    {
        if (ServerConnectionString is { } configured) return configured;
        var message = $"No PostgreSQL server for tests ({Variable} is not set; `bash .ci/run` starts one).";
        if (RunningInCi) Assert.Fail(message + " PostgreSQL tests must run under CI=true.");
        Assert.Skip(message + " PostgreSQL test skipped.");
        return null!;
    }

    /// <summary>A new, empty database for one test; dropped when the result is disposed.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var server = Require();
        var name = "lb_test_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        return new TestDatabase(server, name);
    }
}

/// <summary>A throwaway database: <see cref="ConnectionString"/> points at it; disposing drops it.</summary>
public sealed class TestDatabase(string server, string name) : IAsyncDisposable
{
    public string Name { get; } = name;

    public string ConnectionString { get; } = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;

    /// <summary>The app's settings to run on this database (<c>Storage:Provider</c> and the connection string), plus <paramref name="more"/>.</summary>
    public Dictionary<string, string?> AppSettings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["ConnectionStrings:LineBridge"] = ConnectionString,
        };
        foreach (var (key, value) in more) settings[key] = value;
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        // FORCE ends connections still open to it, e.g. idle ones in a pool (PostgreSQL 13+).
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
