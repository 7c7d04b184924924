using Dapper;
using LineBridge.Infrastructure;
using Npgsql;

namespace LineBridge.Storage;

/// <summary>The whole app with <c>Storage:Provider</c> = <c>PostgreSql</c> against the sandbox portal.</summary>
public sealed class AppOnPostgreSqlTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Install_KeepsThePortalAndTheKeyRingInPostgreSql_AndARestartReadsTheTokens()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync(Ct);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["ConnectionStrings:LineBridge"] = database.ConnectionString,
        };
        await using var app = await SandboxedApp.StartAsync(settings: settings, cancellationToken: Ct);

        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            var domain = await connection.QuerySingleAsync<string>("SELECT domain FROM portals WHERE member_id = @m", new { m = app.Portal.MemberId });
            Assert.Equal(app.Portal.Domain, domain);
            Assert.True(await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM data_protection_keys") >= 1);
            var stored = await connection.QuerySingleAsync<string>("SELECT access_token FROM portals WHERE member_id = @m", new { m = app.Portal.MemberId });
            Assert.NotEqual(app.Store.Find(app.Portal.MemberId)!.AccessToken, stored);
        }
        Assert.False(Directory.Exists(Path.Combine(app.DataDirectory, "keys")), "On PostgreSQL the key ring is not kept in files.");

        await app.RestartAsync(settings);

        var portal = app.Store.Find(app.Portal.MemberId)!;
        Assert.Equal(PortalStatus.Installed, portal.Status);
        Assert.False(string.IsNullOrEmpty(portal.AccessToken));
        // The restarted app decrypts the stored token with the key ring from the database and the portal accepts it.
        var info = await app.Clients.ForPortal(app.Portal.MemberId).App.InfoAsync(Ct);
        Assert.Equal(app.Sandbox.App.ClientId, info.Code);
    }
}
