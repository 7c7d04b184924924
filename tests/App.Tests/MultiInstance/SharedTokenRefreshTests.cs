using LineBridge.Infrastructure;

namespace LineBridge.MultiInstance;

/// <summary>Three instances on one PostgreSQL database share a portal's single-use refresh token.</summary>
public sealed class SharedTokenRefreshTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FiftyCallersOnThreeInstances_WithAnExpiredToken_CauseExactlyOneRefresh_AndNoFailure()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync(Ct);
        var settings = database.AppSettings();
        await using var app = await SandboxedApp.StartAsync(settings: settings, cancellationToken: Ct);
        await using var b = await app.StartPeerAsync(settings);
        await using var c = await app.StartPeerAsync(settings);
        var instances = new[] { app.Clients, b.Clients, c.Clients };
        var refreshesBefore = app.OAuth.Count;

        app.Sandbox.Faults.ExpireAccessTokens();
        var answers = await AtOnce.RunAsync(50, i => instances[i % 3].ForPortal(app.Portal.MemberId).App.InfoAsync(Ct), Ct);

        Assert.All(answers, info => Assert.Equal(app.Sandbox.App.ClientId, info.Code));
        Assert.Equal(1, app.OAuth.Count - refreshesBefore);
        Assert.Equal(Storage.PortalStatus.Installed, c.Store.Find(app.Portal.MemberId)!.Status);
    }
}
