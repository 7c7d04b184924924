using Dapper;
using LineBridge.Infrastructure;
using LineBridge.Storage.PostgreSql;
using Microsoft.Extensions.Configuration;

namespace LineBridge.Storage;

/// <summary>The versioned schema on PostgreSQL (skipped without a server, failed under CI=true).</summary>
public sealed class PostgreSqlMigrationsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrate_AppliesEachVersionOnce_AndRecordsIt()
    {
        await using var test = await TestPostgres.CreateDatabaseAsync(Ct);
        using var first = new PostgreSqlDatabase(test.ConnectionString);
        using var second = new PostgreSqlDatabase(test.ConnectionString);

        Assert.Equal(PostgreSqlMigrations.All.Count, first.Migrate());
        Assert.Equal(0, second.Migrate());

        await using var connection = first.DataSource.OpenConnection();
        var versions = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
        Assert.Equal(PostgreSqlMigrations.All.Select(m => m.Version), versions);
    }

    [Fact]
    public async Task InstancesStartingTogether_ApplyTheMigrationsOnce()
    {
        await using var test = await TestPostgres.CreateDatabaseAsync(Ct);
        var databases = Enumerable.Range(0, 3).Select(_ => new PostgreSqlDatabase(test.ConnectionString)).ToList();
        try
        {
            var applied = await Task.WhenAll(databases.Select(d => Task.Run(d.Migrate, Ct)));
            Assert.Equal(PostgreSqlMigrations.All.Count, applied.Sum());
        }
        finally
        {
            databases.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public async Task ASchemaNewerThanThisBuild_StopsTheStart_WithAClearMessage()
    {
        await using var test = await TestPostgres.CreateDatabaseAsync(Ct);
        using (var database = new PostgreSqlDatabase(test.ConnectionString))
        {
            database.Migrate();
            await using var connection = database.DataSource.OpenConnection();
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name) VALUES (@v, 'from a newer build')",
                new { v = PostgreSqlMigrations.LatestVersion + 1 });
        }

        using var older = new PostgreSqlDatabase(test.ConnectionString);
        var error = Assert.Throws<InvalidOperationException>(() => older.Migrate());
        Assert.Contains($"version {PostgreSqlMigrations.LatestVersion + 1}", error.Message);
    }

    [Fact]
    public async Task MigrateCommand_BringsAnEmptyDatabaseToTheLatestVersion()
    {
        await using var test = await TestPostgres.CreateDatabaseAsync(Ct);
        var config = new ConfigurationBuilder().AddInMemoryCollection(test.AppSettings()).Build();
        var output = new StringWriter();

        Assert.Equal(0, StorageCommands.RunMigrate(config, output, new StringWriter()));
        Assert.Contains($"version {PostgreSqlMigrations.LatestVersion} ({PostgreSqlMigrations.All.Count} migration(s) applied now)", output.ToString());
    }
}
