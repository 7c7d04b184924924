using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Sandbox;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Delivery;

/// <summary>
/// Delivery against the sandbox portal over loopback, with its execution-cost model and operating-time budget made
/// small so the budget binds within seconds: LineBridge paces itself on the portal's <c>time.operating</c> and never
/// meets <c>OPERATION_TIME_LIMIT</c>; edits queued behind one another reach the portal as one update.
/// </summary>
public class DeliveryPacingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const double Limit = 1;            // operating seconds per window
    private const double PerMessage = 0.02;    // charged per MESSAGES element

    private static Task<SandboxedApp> StartAsync(int batchSize = 10, double updateCallCost = 0) => SandboxedApp.StartAsync(
        configureSandbox: o =>
        {
            var portal = o.Portals[0];
            portal.SimulatedCostByMethod["imconnector.update.messages"] = updateCallCost;
            portal.OperatingLimitSeconds = Limit;
            portal.OperatingWindow = TimeSpan.FromSeconds(4);
            portal.CostPerMessageSeconds = PerMessage;
            portal.CostPerMessageCallSeconds = 0;
        },
        settings: new Dictionary<string, string?>
        {
            ["Bitrix24:Client:OperatingLimitSeconds"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Bitrix24:Client:OperatingWindow"] = "00:00:04",
            ["Messages:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        cancellationToken: Ct);

    private static async Task<int> ConnectAsync(SandboxedApp app)
    {
        var line = app.Portal.OpenLines[0].Id;
        await app.Clients.ForPortal(app.Portal.MemberId).Connectors.ActivateAsync("linebridge", line, true, Ct);
        app.Services.GetRequiredService<LineConnections>().MarkConnected(app.Portal.MemberId, line);
        return line;
    }

    private static ConnectorMessage Message(string id, string text) => new(
        new ConnectorUser { Id = "user-1", Name = "Ann" }, new ConnectorMessageBody { Id = id, Text = text },
        new ConnectorChat { Id = "chat-1", Name = "Chat 1" });

    [Fact]
    public async Task SendsBeyondTheOperatingBudget_ArePacedOnThePortalsSignals_AndNeverRefused()
    {
        await using var app = await StartAsync();
        var line = await ConnectAsync(app);
        var service = app.Services.GetRequiredService<MessageService>();
        var store = app.Services.GetRequiredService<MessageStore>();

        // 80 messages cost 1.6 s of the method's budget of 1 s per 4 s: they need at least two windows.
        var added = service.Send(app.Portal.MemberId, line, [.. Enumerable.Range(0, 80).Select(i => Message("m" + i, "text " + i))], ChangeAuthor.Api);

        await SandboxedApp.WaitUntilAsync(() => added.All(a => store.Get(app.Portal.MemberId, a.Record.Id)!.Status == MessageStatus.Sent),
            "every message is sent");
        var sends = app.Portal.Calls.Where(c => c.Method == "imconnector.send.messages").ToList();
        Assert.DoesNotContain(sends, c => c.Error == "OPERATION_TIME_LIMIT" || c.Status == 429);
        Assert.All(sends, c => Assert.Equal(200, c.Status));
        Assert.Equal(80, app.Portal.Dialogs.Where(d => d.Line == line).SelectMany(d => d.Messages).Count());
    }

    [Fact]
    public async Task EditsQueuedWhileTheBudgetIsSpent_GoAsOneUpdate_WithTheNewestText_AndTheOthersSuperseded()
    {
        // Every update call costs more than the whole budget: after one, the method is spent for a window.
        await using var app = await StartAsync(batchSize: 50, updateCallCost: 1.2);
        var line = await ConnectAsync(app);
        var service = app.Services.GetRequiredService<MessageService>();
        var store = app.Services.GetRequiredService<MessageStore>();
        var added = service.Send(app.Portal.MemberId, line, [Message("a", "a1"), Message("b", "b1")], ChangeAuthor.Api);
        await SandboxedApp.WaitUntilAsync(() => added.All(x => store.Get(app.Portal.MemberId, x.Record.Id)!.Status == MessageStatus.Sent), "both are sent");

        var a = added[0].Record.Id;
        var b = added[1].Record.Id;
        for (var v = 2; v <= 6; v++) service.Edit(app.Portal.MemberId, a, null, "a" + v, ChangeAuthor.Api);
        service.Edit(app.Portal.MemberId, b, null, "b2", ChangeAuthor.Api);

        await SandboxedApp.WaitUntilAsync(() => store.CountPending(app.Portal.MemberId, line) == 0 &&
            store.Get(app.Portal.MemberId, a)!.Status == MessageStatus.Sent && store.Get(app.Portal.MemberId, b)!.Status == MessageStatus.Sent,
            "the edits are delivered");
        var texts = app.Portal.Dialogs.Where(d => d.Line == line).SelectMany(d => d.Messages).Select(m => m.Text).Order().ToList();
        Assert.Equal(["a6", "b2"], texts);
        // The first edit may go alone; everything queued while the budget was spent goes in one call.
        var updates = app.Portal.Calls.Where(c => c.Method == "imconnector.update.messages").ToList();
        Assert.InRange(updates.Count, 1, 2);
        Assert.DoesNotContain(app.Portal.Calls, c => c.Error == "OPERATION_TIME_LIMIT" || c.Status == 429);
        // History keeps every version; those that never went out on their own say which version carried them.
        var versions = store.GetVersions(app.Portal.MemberId, a).OrderBy(v => v.Version).ToList();
        Assert.Equal(["a1", "a2", "a3", "a4", "a5", "a6"], versions.Select(v => v.NewText));
        Assert.Equal(MessageStatus.Sent, versions[^1].Status);
        var superseded = versions.Where(v => v.Status == MessageStatus.Superseded).ToList();
        Assert.InRange(superseded.Count, 3, 4);
        Assert.All(superseded, v => Assert.StartsWith("Superseded by version ", LineBridge.Components.Localization.Localizer.PlainEnglish(v.PortalAnswer)));
    }
}
