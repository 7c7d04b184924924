using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox;

/// <summary>The portal's life as the sandbox plays it: payment due and renewed, renamed, quiet past a refresh token's life.</summary>
public class PortalLifecycleSwitchesTests
{
    [Fact]
    public async Task RequirePayment_RefusesAppCallsWithPaymentRequired_UntilRenewed_ButAppInfoSaysWhy()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.ConnectAsync();

        sandbox.Portal.RequirePayment();
        var (status, body) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi")));
        var (infoStatus, info) = await sandbox.CallAsync("app.info", new { });

        Assert.Equal(HttpStatusCode.PaymentRequired, status);
        Assert.Equal("PAYMENT_REQUIRED", (string?)body["error"]);
        Assert.Empty(sandbox.Portal.Dialogs);
        Assert.Equal(HttpStatusCode.OK, infoStatus);
        Assert.Equal("Y", (string?)info["result"]!["PAYMENT_EXPIRED"]);

        sandbox.Portal.RequirePayment(false);
        (status, _) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Single(sandbox.Portal.Dialogs);
    }

    [Fact]
    public async Task Rename_MovesThePortal_TheFormerAddressAnswers302ForRest_AndTheTokenServerNamesTheNewEndpoint()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Portals[0].RenameHost = "127.0.0.4");
        await sandbox.ConnectAsync();
        var former = sandbox.Portal.RestUri;
        var refresh = sandbox.Frame().Form["REFRESH_ID"];

        sandbox.Portal.Rename();
        var token = sandbox.Token();
        var atFormer = await sandbox.Http.PostAsync(new Uri(former, "imconnector.send.messages?x=1"),
            new StringContent(SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi")).ToJsonString(), System.Text.Encoding.UTF8, "application/json"), SandboxTestHost.Ct);
        var (status, _) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi")), token);
        var (refreshStatus, refreshed) = await sandbox.GetAsync(new Uri(sandbox.Host.OAuthUri,
            $"oauth/token/?grant_type=refresh_token&client_id={sandbox.Host.App.ClientId}&client_secret={Uri.EscapeDataString(sandbox.Host.App.ClientSecret)}&refresh_token={refresh}"));

        Assert.Equal(HttpStatusCode.Found, atFormer.StatusCode);
        Assert.Equal(new Uri(sandbox.Portal.RestUri, "imconnector.send.messages?x=1"), atFormer.Headers.Location);
        Assert.StartsWith("127.0.0.4:", sandbox.Portal.Domain);
        Assert.Equal(HttpStatusCode.OK, status); // the same POST at the new address is served
        Assert.Single(sandbox.Portal.Dialogs.Single().Messages);
        Assert.Equal(HttpStatusCode.OK, refreshStatus);
        Assert.Equal(sandbox.Portal.RestUri.AbsoluteUri, (string?)refreshed["client_endpoint"]);
    }

    [Fact]
    public async Task RefreshTokenLifetime_ARefreshTokenPastItsLife_AnswersInvalidGrant()
    {
        var clock = TimeSpan.FromMilliseconds(300);
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.RefreshTokenLifetime = clock);
        var refresh = sandbox.Frame().Form["REFRESH_ID"];
        var query = $"oauth/token/?grant_type=refresh_token&client_id={sandbox.Host.App.ClientId}&client_secret={Uri.EscapeDataString(sandbox.Host.App.ClientSecret)}&refresh_token={refresh}";
        var issued = DateTime.UtcNow;

        // Wait out the lifetime itself (the condition is the clock passing the token's expiry).
        await SandboxTestHost.WaitForAsync(() => DateTime.UtcNow > issued + clock + TimeSpan.FromMilliseconds(100), "the refresh token's lifetime passed");
        var (status, body) = await sandbox.GetAsync(new Uri(sandbox.Host.OAuthUri, query));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", (string?)body["error"]);
    }
}
