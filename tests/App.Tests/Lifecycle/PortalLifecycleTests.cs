using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Sandbox;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Lifecycle;

/// <summary>
/// A portal's life against the real app and sandbox over loopback: uninstalled, lines switched off and on, payment
/// due. Nothing accepted is lost; what cannot go out says so.
/// </summary>
public sealed class PortalLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterAnUninstall_TheSendApiRefuses_AndAcceptedWorkShowsAsWaitingForAReinstall()
    {
        await using var api = await LifecycleApi.StartAsync();
        // A send the portal keeps refusing for now, so it is still pending when the uninstall comes.
        api.App.Sandbox.Faults.Set(new FaultSettings { UnavailableRate = 1, Methods = ["imconnector.send.messages"] });
        Assert.Equal(HttpStatusCode.Accepted, (await api.SendAsync("c1", "m1", "hello")).StatusCode);

        api.Portal.UninstallApp(clean: false);
        await SandboxedApp.WaitUntilAsync(() => api.App.Store.Find(api.Portal.MemberId)?.Status == PortalStatus.Uninstalled, "the app took the uninstall");
        api.App.Sandbox.Faults.Clear();

        var refused = await api.SendAsync("c1", "m2", "after the uninstall");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Contains("not installed", (string?)problem["title"]);
        Assert.Contains("installs LineBridge again", (string?)problem["detail"]);

        var waiting = await api.WaitForStatusAsync("c1", "m1", "Waiting");
        Assert.Contains("not installed", (string?)waiting["failureReason"]);
    }

    [Fact]
    public async Task AnEditRetryingWhenTheLineIsSwitchedOff_Waits_AndReachesThePortalWhenTheLineIsConnectedAgain()
    {
        await using var api = await LifecycleApi.StartAsync();
        await api.SendAsync("c1", "m1", "first");
        await api.WaitForStatusAsync("c1", "m1", "Sent");
        api.App.Sandbox.Faults.Set(new FaultSettings { UnavailableRate = 1, Methods = ["imconnector.update.messages"] });
        Assert.Equal(HttpStatusCode.Accepted, (await api.EditAsync("c1", "m1", "second")).StatusCode);
        await SandboxedApp.WaitUntilAsync(() => api.Portal.Calls.Any(c => c.Method == "imconnector.update.messages"), "the edit was tried");

        // Switched off in Contact Center (the app hears of it by event); meanwhile the portal mends.
        api.Portal.DisableConnector("linebridge", api.Line);
        api.App.Sandbox.Faults.Clear();

        var waiting = await api.WaitForStatusAsync("c1", "m1", "Waiting");
        Assert.Contains("not connected", (string?)waiting["failureReason"]);
        Assert.DoesNotContain("NOT_ACTIVE_LINE", (string?)waiting["failureReason"]);
        Assert.Equal(["first"], api.PortalCopies("m1"));

        // Connected again through the app, as an administrator does (imconnector.activate, then our record).
        await api.ConnectLineAsync();

        await api.WaitForStatusAsync("c1", "m1", "Sent");
        Assert.Equal(["second"], api.PortalCopies("m1"));
    }

    [Fact]
    public async Task AFailedMessage_IsRetriedWithOneCall_AndAMessageThatDidNotFailIsNot()
    {
        await using var api = await LifecycleApi.StartAsync();
        var lines = api.App.Services.GetRequiredService<LineConnections>();
        api.App.Sandbox.Faults.Set(new FaultSettings { UnavailableRate = 1, Methods = ["imconnector.send.messages"] });
        await api.SendAsync("c1", "m1", "hello");
        // Work for a line recorded as deleted fails for good: the kind of failure a retry is for.
        lines.MarkDeleted(api.Portal.MemberId, api.Line);
        var failed = await api.WaitForStatusAsync("c1", "m1", "Failed");
        Assert.Contains("deleted", (string?)failed["failureReason"]);
        Assert.Empty(api.PortalCopies("m1"));

        lines.MarkConnected(api.Portal.MemberId, api.Line);
        api.App.Sandbox.Faults.Clear();
        var retried = await api.Http.PostAsync(api.MessageUrl("c1", "m1") + "/retry", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        await api.WaitForStatusAsync("c1", "m1", "Sent");
        Assert.Equal(["hello"], api.PortalCopies("m1"));

        var notFailed = await api.Http.PostAsync(api.MessageUrl("c1", "m1") + "/retry", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, notFailed.StatusCode);
        Assert.Contains("Only a failed message", (string?)(await notFailed.Content.ReadFromJsonAsync<JsonObject>(Ct))!["detail"]);
    }

    [Fact]
    public async Task PaymentRequired_StopsCalls_SaysSoInTheApi_AndEverythingGoesOutOnceThePortalPays()
    {
        await using var api = await LifecycleApi.StartAsync(settings: new Dictionary<string, string?> { ["Messages:PaymentProbeInterval"] = "00:00:02" });
        api.Portal.RequirePayment();
        var unpaid = System.Diagnostics.Stopwatch.StartNew();

        await api.SendAsync("c1", "m1", "one");
        var waiting = await api.WaitForStatusAsync("c1", "m1", "Waiting");
        Assert.Contains("PAYMENT_REQUIRED", (string?)waiting["failureReason"]);
        Assert.Equal(PortalStatus.PaymentRequired, api.App.Store.Find(api.Portal.MemberId)!.Status);

        // Still accepted (nothing is lost), and the answer says why it will not go out at once.
        var second = await api.SendAsync("c1", "m2", "two");
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Contains("PAYMENT_REQUIRED", (string?)(await second.Content.ReadFromJsonAsync<JsonObject>(Ct))!["notice"]);
        var callsWhileUnpaid = api.Portal.Calls.Count(c => c.Method == "imconnector.send.messages");
        // At most the first call and one probe per interval since (however slow the machine), not one per message.
        var allowed = 2 + (int)(unpaid.Elapsed.TotalSeconds / 2);

        api.Portal.RequirePayment(false);

        await api.WaitForStatusAsync("c1", "m1", "Sent");
        await api.WaitForStatusAsync("c1", "m2", "Sent");
        Assert.Equal(["one"], api.PortalCopies("m1"));
        Assert.Equal(["two"], api.PortalCopies("m2"));
        Assert.Equal(PortalStatus.Installed, api.App.Store.Find(api.Portal.MemberId)!.Status);
        // While unpaid, the app only probed now and then instead of calling for every message.
        Assert.True(callsWhileUnpaid <= allowed, $"{callsWhileUnpaid} send calls in {unpaid.Elapsed} while the portal had not paid");
    }
}
