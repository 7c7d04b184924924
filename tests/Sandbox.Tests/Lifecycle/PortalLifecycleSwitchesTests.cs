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
}
