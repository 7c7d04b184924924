using System.Net;
using System.Web;
using LineBridge.Bitrix24;
using LineBridge.Infrastructure;
using LineBridge.Storage;

namespace LineBridge.Install;

public class PortalTokensTests
{
    private static ClientHarness PortalAcceptingOnly(string token) => new(r => r.BearerToken == token
        ? RecordingHandler.Fixture("app-info")
        : RecordingHandler.Fixture("expired-token", HttpStatusCode.Unauthorized));

    [Fact]
    public async Task FiftyConcurrentCalls_OnAnExpiredToken_CauseExactlyOneRefresh_AndAllSucceed()
    {
        await using var h = PortalAcceptingOnly("ACCESS");
        var spent = new HashSet<string>();
        var reused = 0;
        h.OAuth.Respond = r =>
        {
            var refreshToken = HttpUtility.ParseQueryString(r.Uri.Query)["refresh_token"]!;
            lock (spent)
            {
                if (!spent.Add(refreshToken)) { reused++; return RecordingHandler.Fixture("invalid-grant", HttpStatusCode.BadRequest); }
            }
            Thread.Sleep(200); // keep the refresh in flight while the other callers pile up
            return RecordingHandler.Fixture("token-refresh");
        };
        var client = h.InstalledPortal(accessToken: "expired", refreshToken: "refresh-1");

        var infos = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => client.App.InfoAsync(TestContext.Current.CancellationToken))));

        Assert.All(infos, i => Assert.Equal("local.test.1", i.Code));
        var refresh = Assert.Single(h.OAuth.Requests);
        var query = HttpUtility.ParseQueryString(refresh.Uri.Query);
        Assert.Equal("refresh_token", query["grant_type"]);
        Assert.Equal("refresh-1", query["refresh_token"]);
        Assert.Equal("local.test.1", query["client_id"]);
        Assert.Equal(0, reused);
        var stored = h.Store.Find(ClientHarness.MemberId)!;
        Assert.Equal("ACCESS", stored.AccessToken);
        Assert.Equal("REFRESH", stored.RefreshToken);
    }

    [Fact]
    public async Task Refresh_IsNotRepeated_ForACallerHoldingAnAlreadyReplacedToken()
    {
        await using var h = PortalAcceptingOnly("ACCESS");
        h.OAuth.Respond = _ => RecordingHandler.Fixture("token-refresh");
        h.InstalledPortal(accessToken: "expired", refreshToken: "refresh-1");
        var tokens = (PortalTokens)h.Services.GetService(typeof(PortalTokens))!;

        await tokens.RefreshAsync(ClientHarness.MemberId, "expired", TestContext.Current.CancellationToken);
        var second = await tokens.RefreshAsync(ClientHarness.MemberId, "expired", TestContext.Current.CancellationToken);

        Assert.Equal("ACCESS", second.AccessToken);
        Assert.Single(h.OAuth.Requests);
    }

    [Fact]
    public async Task RefusedRefresh_MarksThePortalNeedsReauthorization_AndLaterCallsFailWithoutTraffic()
    {
        await using var h = PortalAcceptingOnly("ACCESS");
        h.OAuth.Respond = _ => RecordingHandler.Fixture("invalid-grant", HttpStatusCode.BadRequest);
        var client = h.InstalledPortal(accessToken: "expired", refreshToken: "refresh-1");

        var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => client.App.InfoAsync(TestContext.Current.CancellationToken));
        var again = await Assert.ThrowsAsync<Bitrix24Exception>(() => client.App.InfoAsync(TestContext.Current.CancellationToken));

        Assert.Equal(Bitrix24Errors.ReauthorizationRequired, ex.ErrorCode);
        Assert.Equal("app.info", ex.Method);
        Assert.Contains("invalid_grant", ex.ErrorDescription);
        Assert.Equal(Bitrix24Errors.ReauthorizationRequired, again.ErrorCode);
        var stored = h.Store.Find(ClientHarness.MemberId)!;
        Assert.Equal(PortalStatus.NeedsReauthorization, stored.Status);
        Assert.Contains("invalid_grant", stored.StatusReason);
        Assert.Single(h.OAuth.Requests);
        Assert.Single(h.Portal.Requests);
    }

    [Fact]
    public async Task UserCredentials_AreNeverRefreshed_WhenExpired()
    {
        await using var h = PortalAcceptingOnly("ACCESS");

        var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => h.UserClient("stale").App.InfoAsync(TestContext.Current.CancellationToken));

        Assert.Equal(Bitrix24Errors.ExpiredToken, ex.ErrorCode);
        Assert.Empty(h.OAuth.Requests);
    }

    [Fact]
    public async Task Calls_ToAnUnknownPortal_FailWithPortalNotInstalled()
    {
        await using var h = PortalAcceptingOnly("ACCESS");

        var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => h.Factory.ForPortal("unknown").App.InfoAsync(TestContext.Current.CancellationToken));

        Assert.Equal(Bitrix24Errors.PortalNotInstalled, ex.ErrorCode);
        Assert.Empty(h.Portal.Requests);
    }
}
