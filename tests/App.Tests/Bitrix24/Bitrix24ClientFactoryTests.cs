using LineBridge.Bitrix24.Models;
using LineBridge.Infrastructure;
using LineBridge.Sandbox;
using LineBridge.Storage;

namespace LineBridge.Bitrix24;

/// <summary>Clients from <see cref="Bitrix24ClientFactory.ForPortal"/> against the sandbox portal over loopback HTTP.</summary>
public class Bitrix24ClientFactoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FiftyConcurrentCalls_OnExpiredTokens_CauseExactlyOneRefresh_AndAllSucceed()
    {
        // An Enterprise-sized bucket on both sides, so the test measures the refresh, not the pacing.
        await using var app = await SandboxedApp.StartAsync(
            configureSandbox: o => o.Portals.ForEach(p => { p.RequestsPerSecond = 5; p.Burst = 250; }),
            settings: new Dictionary<string, string?> { ["Bitrix24:RequestsPerSecond"] = "5", ["Bitrix24:Burst"] = "250" },
            cancellationToken: Ct);
        // From quiet: background work the install started must not make a refresh of its own on the expired tokens.
        await app.WaitUntilQuietAsync();
        var refreshesBefore = app.OAuth.Count;
        var tokenBefore = app.Store.Find(app.Portal.MemberId)!.AccessToken;
        app.Portal.ExpireAccessTokens();
        var client = app.Clients.ForPortal(app.Portal.MemberId);

        var infos = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => client.App.InfoAsync(Ct))));

        Assert.All(infos, i => Assert.Equal(app.Sandbox.App.ClientId, i.Code));
        Assert.Equal(refreshesBefore + 1, app.OAuth.Count);
        Assert.Equal(app.OAuth.Count, app.OAuth.RefreshTokensSent.Distinct().Count()); // no refresh token sent twice
        var portal = app.Store.Find(app.Portal.MemberId)!;
        Assert.Equal(PortalStatus.Installed, portal.Status);
        Assert.NotEqual(tokenBefore, portal.AccessToken);
        Assert.Contains(app.Portal.Calls, c => c.Error == Bitrix24Errors.ExpiredToken);
    }

    // Issue 10, item 6: the token server answers domain = its own host (oauth.bitrix.info on Bitrix24; in the sandbox
    // an origin distinct from every portal). After a refresh the app keeps calling the portal, never that domain.
    [Fact]
    public async Task Refresh_KeepsThePortalAddress_AndNeverTakesTheTokenAnswersDomainForIt()
    {
        await using var app = await SandboxedApp.StartAsync(portals: 2, cancellationToken: Ct);
        var second = app.Sandbox.Portals[1];
        await app.InstallAsync(second, Ct);
        app.Sandbox.Faults.ExpireAccessTokens();

        var first = await app.Clients.ForPortal(app.Portal.MemberId).App.InfoAsync(Ct);
        var other = await app.Clients.ForPortal(second.MemberId).App.InfoAsync(Ct);
        var again = await app.Clients.ForPortal(second.MemberId).App.InfoAsync(Ct);

        Assert.Equal(app.Sandbox.App.ClientId, first.Code);
        Assert.Equal(app.Sandbox.App.ClientId, other.Code);
        Assert.Equal(app.Sandbox.App.ClientId, again.Code);
        Assert.True(app.OAuth.Count >= 2, "both portals refreshed at the OAuth server");
        foreach (var portal in app.Sandbox.Portals)
        {
            var stored = app.Store.Find(portal.MemberId)!;
            Assert.Equal(portal.Domain, stored.Domain);
            Assert.NotEqual(app.Sandbox.OAuthUri.Authority, stored.Domain);
        }
        Assert.Contains(second.Calls, c => c.Method == "app.info" && c.Status == 200);
    }

    [Fact]
    public async Task Calls_Authenticate_WithTheDocumentedAuthParameter_WhenThePortalIgnoresBearerHeaders()
    {
        await using var app = await SandboxedApp.StartAsync(configureSandbox: o => o.Switches.AcceptBearerHeader = false, cancellationToken: Ct);

        var info = await app.Clients.ForPortal(app.Portal.MemberId).App.InfoAsync(Ct);

        Assert.Equal(app.Sandbox.App.ClientId, info.Code);
        Assert.DoesNotContain(app.Portal.Calls, c => c.Status != 200);
    }

    [Fact]
    public async Task PacedCalls_AtTheDefaultLimit_MeetNoQueryLimitExceeded()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var client = app.Clients.ForPortal(app.Portal.MemberId);

        // More than the portal's burst of 50 at once: the limiter must hold the rest back to 2/s.
        var infos = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => client.App.InfoAsync(Ct)));

        Assert.Equal(60, infos.Length);
        Assert.DoesNotContain(app.Portal.Calls, c => c.Error == Bitrix24Errors.QueryLimitExceeded);
    }

    [Theory]
    [InlineData(Bitrix24Errors.QueryLimitExceeded)]
    [InlineData(Bitrix24Errors.OperationTimeLimit)]
    public async Task InjectedLimitRefusals_AreAbsorbed(string errorCode)
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var client = app.Clients.ForPortal(app.Portal.MemberId);
        app.Sandbox.Faults.Set(new FaultSettings { UnavailableRate = 0.4, UnavailableErrorCode = errorCode, Methods = ["imconnector.list"], Seed = 7 });

        var lists = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.Connectors.ListAsync(Ct)));

        Assert.All(lists, l => Assert.Contains("linebridge", l.Keys));
        Assert.Contains(app.Portal.Calls, c => c.Method == "imconnector.list" && c.Error == errorCode);
    }

    [Fact]
    public async Task SendMessages_IsNotRetried_AfterAnInjectedServerError()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var client = app.Clients.ForPortal(app.Portal.MemberId);
        app.Sandbox.Faults.Set(new FaultSettings { ErrorRate = 1, Methods = ["imconnector.send.messages"] });

        var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => client.Connectors.SendMessagesAsync(new ConnectorMessagesRequest("linebridge", 1,
            [new ConnectorMessage(new ConnectorUser { Id = "u-1" }, new ConnectorMessageBody { Id = "m-1", Text = "hi" }, new ConnectorChat { Id = "c-1" })]), Ct));

        Assert.Equal(Bitrix24Errors.InternalServerError, ex.ErrorCode);
        Assert.Single(app.Portal.Calls, c => c.Method == "imconnector.send.messages");
    }

    [Fact]
    public async Task ConnectorLifecycle_WorksAgainstThePortal()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var client = app.Clients.ForPortal(app.Portal.MemberId);

        Assert.True(await client.Connectors.ActivateAsync("linebridge", 1, true, Ct));
        await client.Connectors.SetConnectorDataAsync("linebridge", 1, new ConnectorData { Id = "lb-1", Name = "LineBridge" }, Ct);
        var status = await client.Connectors.StatusAsync("linebridge", 1, Ct);
        var sent = await client.Connectors.SendMessagesAsync(new ConnectorMessagesRequest("linebridge", 1,
        [
            new ConnectorMessage(new ConnectorUser { Id = "u-1", Name = "Ivan" }, new ConnectorMessageBody { Id = "m-1", Text = "Hello" }, new ConnectorChat { Id = "c-1" }),
            new ConnectorMessage(new ConnectorUser { Id = "u-1" }, new ConnectorMessageBody { Id = "m-2" }, new ConnectorChat { Id = "c-1" }),
        ]), Ct);
        var updated = await client.Connectors.UpdateMessagesAsync(new ConnectorMessagesRequest("linebridge", 1,
            [new ConnectorMessage(new ConnectorUser { Id = "u-1" }, new ConnectorMessageBody { Id = "m-1", Text = "Hello, corrected" }, new ConnectorChat { Id = "c-1" })]), Ct);
        var lines = new List<OpenLine>();
        await foreach (var line in client.OpenLines.ListAsync(new OpenLinesQuery { PageSize = 1 }, Ct)) lines.Add(line);

        Assert.True(status.Status);
        Assert.True(sent.Items[0].Success);
        Assert.NotNull(sent.Items[0].SessionId);
        Assert.False(sent.Items[1].Success);
        Assert.NotEmpty(sent.Items[1].Errors);
        Assert.True(Assert.Single(updated.Items).Success);
        Assert.Contains(app.Portal.Dialogs.SelectMany(d => d.Messages), m => m.Text == "Hello, corrected" && m.Edited);
        Assert.Equal(app.Portal.OpenLines.Select(l => l.Id), lines.Select(l => l.Id));
    }
}
