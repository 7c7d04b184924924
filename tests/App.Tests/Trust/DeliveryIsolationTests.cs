using System.Diagnostics;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;
using LineBridge.Replies;

namespace LineBridge.Trust;

/// <summary>Issue 11 case 7: one portal's unresponsive webhook does not hold up another portal's replies.</summary>
public sealed class DeliveryIsolationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Case7_ASlowWebhook_DelaysOnlyItsOwnPortal()
    {
        var timeout = TimeSpan.FromSeconds(30);
        var settings = new Dictionary<string, string?>(Line.FastRetries) { ["Replies:Timeout"] = timeout.ToString() };
        await using var app = await SandboxedApp.StartAsync(portals: 2, settings: settings, cancellationToken: Ct);
        await app.InstallAsync(app.Sandbox.Portals[1], Ct);
        var (a, b) = (app.Sandbox.Portals[0], app.Sandbox.Portals[1]);
        using var hanging = new HangingListener();
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, a, hanging.Url, Ct);
        await Line.ConnectAsync(app, b, receiver.Url, Ct);

        await a.OperatorReplyAsync(Line.Id, Line.Chat, "to the slow receiver", operatorUserId: 2);
        await SandboxedApp.WaitUntilAsync(() => hanging.Held > 0, "portal A's delivery hangs on its webhook", Line.Patience);
        var clock = Stopwatch.StartNew();
        var imId = await b.OperatorReplyAsync(Line.Id, Line.Chat, "to the quick receiver", operatorUserId: 2);

        await SandboxedApp.WaitUntilAsync(() => Line.Reply(app, b, imId) is { Status: MessageStatus.Sent }, "portal B's reply is delivered", Line.Patience);
        Assert.True(clock.Elapsed < timeout, $"portal B waited {clock.Elapsed} behind portal A's {timeout} timeout");
        Assert.Single(receiver.Received);
    }
}
