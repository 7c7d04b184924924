using System.Net;
using LineBridge.Infrastructure;
using Npgsql;

namespace LineBridge.Health;

public sealed class HealthEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OnLiteDb_LiveAndReady_AreHealthy()
    {
        await using var app = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);

        foreach (var path in new[] { "/health/live", "/health/ready" })
        {
            var response = await app.Http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Ct));
        }
    }

    [Fact]
    public async Task OnPostgreSql_ReadyFollowsTheDatabase_AndLiveDoesNot()
    {
        var database = await TestPostgres.CreateDatabaseAsync(Ct);
        await using var app = await SandboxedApp.StartAsync(install: false, settings: database.AppSettings(), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/health/ready", Ct)).StatusCode);

        // The database goes away under the running app.
        await database.DisposeAsync();

        var ready = await app.Http.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await ready.Content.ReadAsStringAsync(Ct);
        Assert.Equal("Unhealthy", body);
        Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(database.ConnectionString).Host!, body);
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/health/live", Ct)).StatusCode);
    }
}
