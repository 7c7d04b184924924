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

    [Fact]
    public async Task Version7_MovesTheSearchTextOfExistingMessages_IntoTheNarrowSearchTable()
    {
        await using var test = await TestPostgres.CreateDatabaseAsync(Ct);
        await using (var v6 = new Npgsql.NpgsqlConnection(test.ConnectionString))
        {
            // A database as version 6 left it, with messages in it.
            await v6.OpenAsync(Ct);
            await v6.ExecuteAsync("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
            foreach (var (version, name, sql) in PostgreSqlMigrations.All.Where(m => m.Version <= 6))
            {
                await v6.ExecuteAsync(sql);
                await v6.ExecuteAsync("INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", new { version, name });
            }
            foreach (var (id, text, minutes) in new[] { ("a", "Ваш СЧЁТ готов", 1), ("b", "Order shipped", 2), ("c", "счёт оплачен", 3) })
            {
                await v6.ExecuteAsync("""
                    INSERT INTO messages (id, member_id, connector, line, chat_id, external_message_id, external_user_id, payload,
                        text, search_text, has_files, status, delivered, delete_requested, version, created_at, updated_at, direction)
                    VALUES (lpad(@id, 24, '0'), @member, 'linebridge', 1, 'chat-1', @id, 'user-1', '{}', @text, lower(@text), false,
                        'Sent', true, false, 1, @at, @at, 'Incoming')
                    """, new { id, member = Contracts.Sample.MemberId, text, at = new DateTime(2026, 11, 1, 0, minutes, 0, DateTimeKind.Utc) });
            }
        }

        using var database = new PostgreSqlDatabase(test.ConnectionString);
        Assert.Equal(PostgreSqlMigrations.All.Count - 6, database.Migrate());
        var store = new PostgreSqlMessageStore(database, TimeProvider.System);
        var found = store.QueryPage(Contracts.Sample.MemberId, new Components.Messages.MessageQuery(1, Text: "СЧЁТ"));

        Assert.Equal(["c", "a"], found.Items.Select(r => r.ExternalMessageId));
        Assert.Equal(2, found.Total);
        using var connection = database.Open();
        Assert.Equal(3, connection.ExecuteScalar<int>("SELECT count(*) FROM message_search"));
        Assert.Equal(0, connection.ExecuteScalar<int>(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'messages' AND column_name = 'search_text'"));
    }
}
