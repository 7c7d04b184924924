using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.OAuth;

public class OAuthEndpointsTests
{
    private static Uri TokenUri(SandboxPortal portal, string query = "") => new(portal.BaseUri, "oauth/token/" + query);

    private static string RefreshQuery(SandboxHost host, string refreshToken, string? secret = null) =>
        $"grant_type=refresh_token&client_id={host.App.ClientId}&client_secret={Uri.EscapeDataString(secret ?? host.App.ClientSecret)}&refresh_token={refreshToken}";

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task Token_RefreshGrant_AnswersTheSpecFieldsAndRotatesTheRefreshToken(string verb)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var refresh = sandbox.Frame(userId: 2).Form["REFRESH_ID"];
        var query = RefreshQuery(sandbox.Host, refresh);

        var (status, body) = verb == "GET"
            ? await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + query))
            : await sandbox.PostFormAsync(TokenUri(sandbox.Portal), query);

        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var field in new[] { "access_token", "refresh_token", "expires", "expires_in", "client_endpoint", "server_endpoint", "domain", "member_id", "scope", "status", "user_id" })
        {
            Assert.True(body.ContainsKey(field), field);
        }
        Assert.Equal(sandbox.Portal.RestUri.ToString(), body["client_endpoint"]!.GetValue<string>());
        Assert.Equal(sandbox.Portal.MemberId, body["member_id"]!.GetValue<string>());
        Assert.Equal(2, body["user_id"]!.GetValue<int>());
        Assert.Equal(3600, body["expires_in"]!.GetValue<int>());
        Assert.NotEqual(refresh, body["refresh_token"]!.GetValue<string>());

        var (restStatus, user) = await sandbox.CallAsync("user.current", token: body["access_token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, restStatus);
        Assert.Equal("2", user["result"]!["ID"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_RefusesAReusedRefreshToken_WithInvalidGrant_AndTheNewOneWorks()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var refresh = sandbox.Frame().Form["REFRESH_ID"];
        var (_, first) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + RefreshQuery(sandbox.Host, refresh)));

        var (reusedStatus, reused) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + RefreshQuery(sandbox.Host, refresh)));
        var (nextStatus, _) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + RefreshQuery(sandbox.Host, first["refresh_token"]!.GetValue<string>())));

        Assert.Equal(HttpStatusCode.BadRequest, reusedStatus);
        Assert.Equal("invalid_grant", reused["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, nextStatus);
    }

    [Fact]
    public async Task Token_KeepsAnOldRefreshTokenDuringTheGracePeriod_WhenSingleUseIsSwitchedOff()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.RefreshTokenSingleUse = false);
        var refresh = sandbox.Frame().Form["REFRESH_ID"];
        await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + RefreshQuery(sandbox.Host, refresh)));

        var (status, _) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + RefreshQuery(sandbox.Host, refresh)));

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("grant_type=refresh_token&client_id={id}&client_secret=wrong&refresh_token={refresh}", 401, "invalid_client")]
    [InlineData("grant_type=refresh_token&client_id=local.nobody.1&client_secret={secret}&refresh_token={refresh}", 401, "invalid_client")]
    [InlineData("grant_type=refresh_token&client_id={id}&client_secret={secret}&refresh_token=unknown", 400, "invalid_grant")]
    [InlineData("grant_type=authorization_code&client_id={id}&client_secret={secret}&code=unknown", 400, "invalid_grant")]
    [InlineData("grant_type=password&client_id={id}&client_secret={secret}", 400, "invalid_request")]
    [InlineData("", 400, "invalid_request")]
    public async Task Token_RefusesBadRequests_WithTheSpecErrors(string template, int expectedStatus, string expectedError)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var query = template.Replace("{id}", sandbox.Host.App.ClientId).Replace("{secret}", Uri.EscapeDataString(sandbox.Host.App.ClientSecret))
            .Replace("{refresh}", sandbox.Frame().Form["REFRESH_ID"]);

        var (status, body) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + query));

        Assert.Equal(expectedStatus, (int)status);
        Assert.Equal(expectedError, body["error"]!.GetValue<string>());
        Assert.True(body.ContainsKey("error_description"));
    }

    [Fact]
    public async Task Token_OnAnyPortalOrigin_AcceptsEveryPortalsRefreshTokens()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(portals: 2);
        var second = sandbox.Host.Portals[1];
        var refresh = second.BuildFramePost(1).Form["REFRESH_ID"];

        var (status, body) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + RefreshQuery(sandbox.Host, refresh)));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(second.MemberId, body["member_id"]!.GetValue<string>());
        Assert.Equal(second.RestUri.ToString(), body["client_endpoint"]!.GetValue<string>());
    }

    [Fact]
    public async Task AccessTokens_ExpireAfterTheConfiguredLifetime_AndRestAnswersExpiredToken()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.AccessTokenLifetime = TimeSpan.FromMilliseconds(1));
        var token = sandbox.Token();
        await Task.Delay(20, SandboxTestHost.Ct);

        var (status, body) = await sandbox.CallAsync("user.current", token: token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("expired_token", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task ExpireAccessTokens_MakesLiveTokensAnswerExpiredToken_AndARefreshHeals()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var frame = sandbox.Frame();
        sandbox.Portal.ExpireAccessTokens();

        var (status, body) = await sandbox.CallAsync("user.current", token: frame.Form["AUTH_ID"]);
        var (_, refreshed) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + RefreshQuery(sandbox.Host, frame.Form["REFRESH_ID"])));
        var (healed, _) = await sandbox.CallAsync("user.current", token: refreshed["access_token"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("expired_token", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, healed);
    }

    [Fact]
    public async Task Authorize_RedirectsToTheHandlerWithACode_ThatTheTokenEndpointExchangesOnce()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var response = await sandbox.Http.GetAsync(new Uri(sandbox.Portal.BaseUri, $"oauth/authorize/?client_id={sandbox.Host.App.ClientId}&state=xyz"), SandboxTestHost.Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(sandbox.Host.App.HandlerUrl, location.ToString());
        var query = System.Web.HttpUtility.ParseQueryString(location.Query);
        Assert.Equal("xyz", query["state"]);
        Assert.Equal(sandbox.Portal.Domain, query["domain"]);
        Assert.Equal(sandbox.Portal.MemberId, query["member_id"]);
        var exchange = $"grant_type=authorization_code&client_id={sandbox.Host.App.ClientId}&client_secret={Uri.EscapeDataString(sandbox.Host.App.ClientSecret)}&code={query["code"]}";

        var (status, body) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + exchange));
        var (again, _) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + exchange));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body["user_id"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.BadRequest, again);
    }

    [Fact]
    public async Task UninstallApp_RevokesEveryToken()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var frame = sandbox.Frame();
        sandbox.Portal.UninstallApp();

        var (status, _) = await sandbox.CallAsync("app.info", token: frame.Form["AUTH_ID"]);
        var (refreshStatus, body) = await sandbox.GetAsync(TokenUri(sandbox.Portal, "?" + RefreshQuery(sandbox.Host, frame.Form["REFRESH_ID"])));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(HttpStatusCode.BadRequest, refreshStatus);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }
}
