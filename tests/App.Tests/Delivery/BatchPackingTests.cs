using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Sandbox;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Delivery;

/// <summary>
/// Delivery against the sandbox portal over loopback: one delivery's small calls for several lines travel as the
/// commands of one <c>batch</c> request (one unit of the request bucket), each command's answer or error recorded as
/// its own call's would be, and a line's sends still in order.
/// </summary>
public class BatchPackingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Harness(SandboxedApp App, PausingOutbox Outbox, List<int> Lines) : IAsyncDisposable
    {
        public MessageService Service => App.Services.GetRequiredService<MessageService>();
        public MessageStore Store => App.Services.GetRequiredService<MessageStore>();
        public string MemberId => App.Portal.MemberId;

        public MessageRecord Get(AddedMessage added) => Store.Get(MemberId, added.Record.Id)!;

        /// <summary>Lets the dispatcher read everything added while its reads were held, all in one round.</summary>
        public void Release()
        {
            Outbox.HoldClaims = false;
            App.Services.GetRequiredService<OutboxSignal>().Notify();
        }

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    private static async Task<Harness> StartAsync(int lines, Dictionary<string, string?>? settings = null, Action<SandboxPortalOptions>? portal = null)
    {
        PausingOutbox? outbox = null;
        var app = await SandboxedApp.StartAsync(
            configureSandbox: o =>
            {
                o.Portals[0].OpenLineCount = lines + 2;
                portal?.Invoke(o.Portals[0]);
            },
            settings: settings,
            configureServices: services =>
            {
                // The app's outbox, with reads that can be held while a test queues work for many lines.
                var real = services.Last(d => d.ServiceType == typeof(IOutboxStore));
                services.AddSingleton<IOutboxStore>(sp =>
                {
                    var inner = real.ImplementationFactory is { } factory ? (IOutboxStore)factory(sp) : (IOutboxStore)real.ImplementationInstance!;
                    return outbox = new PausingOutbox(inner) { HoldClaims = true };
                });
            },
            cancellationToken: Ct);
        var connected = new List<int>();
        foreach (var line in app.Portal.OpenLines.Where(l => l.Active).Select(l => l.Id).Take(lines))
        {
            await app.Clients.ForPortal(app.Portal.MemberId).Connectors.ActivateAsync("linebridge", line, true, Ct);
            app.Services.GetRequiredService<LineConnections>().MarkConnected(app.Portal.MemberId, line);
            connected.Add(line);
        }
        Assert.Equal(lines, connected.Count);
        // The dispatcher reads through the held outbox (nothing it read so far: reads find nothing until released).
        Assert.Same(app.Services.GetRequiredService<IOutboxStore>(), app.Services.GetRequiredService<MessageStore>().Outbox);
        return new Harness(app, outbox!, connected);
    }

    private static ConnectorMessage Message(int line, int i) => new(
        new ConnectorUser { Id = "user-" + line, Name = "Ann" }, new ConnectorMessageBody { Id = $"m{line}-{i}", Text = $"line {line} text {i}" },
        new ConnectorChat { Id = "chat-" + line, Name = "Chat " + line });

    // The batches that carried message calls (other parts of the app batch their own reads, e.g. line statuses).
    private static List<RecordedCall> MessageBatches(IEnumerable<RecordedCall> calls) =>
        [.. calls.Where(c => c.Method == "batch" && c.Parameters.Contains("imconnector.send.messages", StringComparison.Ordinal))];

    private static List<string> DialogTexts(SandboxedApp app, int line) =>
        app.Portal.Dialogs.Where(d => d.Line == line).SelectMany(d => d.Messages).Select(m => m.Text).ToList();

    [Fact]
    public async Task TenLinesWithThreeMessagesEach_GoInOneBatchRequest_EachMessageSentWithItsAnswer_InOrder()
    {
        await using var h = await StartAsync(lines: 10);
        var before = h.App.Portal.Calls.Count;
        var added = h.Lines.ToDictionary(line => line, line =>
            h.Service.Send(h.MemberId, line, [.. Enumerable.Range(0, 3).Select(i => Message(line, i))], ChangeAuthor.Api));
        h.Release();

        await SandboxedApp.WaitUntilAsync(() => added.Values.SelectMany(a => a).All(a => h.Get(a).Status == MessageStatus.Sent),
            "all 30 messages are sent");
        var calls = h.App.Portal.Calls.Skip(before).ToList();
        Assert.Equal(200, Assert.Single(MessageBatches(calls)).Status);
        Assert.DoesNotContain(calls, c => c.Method.EndsWith(".messages", StringComparison.Ordinal));
        foreach (var (line, messages) in added)
        {
            Assert.Equal(["line " + line + " text 0", "line " + line + " text 1", "line " + line + " text 2"], DialogTexts(h.App, line));
            // Each message carries its own command's answer: the portal's user, session and chat of its line's dialog.
            Assert.All(messages, a =>
            {
                var record = h.Get(a);
                Assert.NotNull(record.PortalUserId);
                Assert.NotNull(record.PortalChatId);
                Assert.StartsWith("SUCCESS", record.FailureReason ?? "SUCCESS");
            });
        }
        Assert.Equal(10, added.Keys.Select(line => h.Get(added[line][0]).PortalChatId).Distinct().Count());
    }

    [Fact]
    public async Task LinesWithAHundredPlainMessagesEach_GoInOneBatchRequest_ACommandOverTheParameterLimitGoesAlone()
    {
        await using var h = await StartAsync(lines: 4);
        var before = h.App.Portal.Calls.Count;
        // Three lines of 100 messages (about 6 parameters each: within a command's 1,000), and one of 200 (over it).
        var sizes = new[] { 100, 100, 100, 200 };
        var added = h.Lines.Select((line, k) => h.Service.Send(h.MemberId, line, [.. Enumerable.Range(0, sizes[k]).Select(i => Message(line, i))], ChangeAuthor.Api))
            .SelectMany(a => a).ToList();
        h.Release();

        await SandboxedApp.WaitUntilAsync(() => added.All(a => h.Get(a).Status == MessageStatus.Sent), "all 500 messages are sent");
        var calls = h.App.Portal.Calls.Skip(before).ToList();
        var batch = Assert.Single(MessageBatches(calls));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(batch.Parameters, @"imconnector\.send\.messages"));
        Assert.Single(calls, c => c.Method == "imconnector.send.messages");   // the line of 200, on its own
        foreach (var (line, k) in h.Lines.Select((line, k) => (line, k)))
        {
            Assert.Equal(Enumerable.Range(0, sizes[k]).Select(i => $"line {line} text {i}"), DialogTexts(h.App, line));
        }
    }

    [Fact]
    public async Task ALineOffAtThePortal_FailsOnlyItsCommand_ItsWorkWaits_AndTheOtherLinesAreSent()
    {
        await using var h = await StartAsync(lines: 4);
        var off = h.Lines[1];
        // Off at the portal while LineBridge still believes it connected: only the portal's answer can tell.
        await h.App.Clients.ForPortal(h.MemberId).Connectors.ActivateAsync("linebridge", off, false, Ct);
        var before = h.App.Portal.Calls.Count;
        var added = h.Lines.ToDictionary(line => line, line =>
            h.Service.Send(h.MemberId, line, [.. Enumerable.Range(0, 2).Select(i => Message(line, i))], ChangeAuthor.Api));
        h.Release();

        var others = added.Where(kv => kv.Key != off).SelectMany(kv => kv.Value).ToList();
        await SandboxedApp.WaitUntilAsync(() => others.All(a => h.Get(a).Status == MessageStatus.Sent) &&
            added[off].All(a => h.Get(a).Status == MessageStatus.Waiting), "the other lines are sent and the line that is off waits");
        Assert.Single(MessageBatches(h.App.Portal.Calls.Skip(before)));
        // As a single call's NOT_ACTIVE_LINE: the line is marked disconnected, its work waits untouched with the reason.
        Assert.Equal(LineConnectionState.Disconnected, h.App.Services.GetRequiredService<LineConnections>().GetState(h.MemberId, off));
        Assert.All(added[off], a =>
        {
            var record = h.Get(a);
            Assert.Equal(WaitReasons.LineDisconnected(off), record.FailureReason);
            Assert.Null(record.PortalChatId);
        });
        Assert.Empty(DialogTexts(h.App, off));
        Assert.Equal(2, h.Store.CountPending(h.MemberId, off));
    }

    [Fact]
    public async Task ALinesSecondSendCall_GoesInALaterBatch_AfterItsFirst_SoEveryDialogKeepsItsOrder()
    {
        // Ten elements a call: 13 messages of a line are a call of 10 (on its own) and one of 3 (packed, after it).
        await using var h = await StartAsync(lines: 4, new Dictionary<string, string?> { ["Messages:BatchSize"] = "10" });
        var before = h.App.Portal.Calls.Count;
        var counts = new[] { 13, 12, 2, 2 };
        var added = h.Lines.Select((line, n) => (line, h.Service.Send(h.MemberId, line, [.. Enumerable.Range(0, counts[n]).Select(i => Message(line, i))],
            ChangeAuthor.Api))).ToList();
        h.Release();

        await SandboxedApp.WaitUntilAsync(() => added.SelectMany(a => a.Item2).All(a => h.Get(a).Status == MessageStatus.Sent), "every message is sent");
        var calls = h.App.Portal.Calls.Skip(before).ToList();
        // The two calls of 10 go on their own beside a batch of the two lines' calls of 2; the first two lines' second
        // calls (3 and 2) go together in a second batch, only after their first calls were answered.
        Assert.Equal(2, calls.Count(c => c.Method == "imconnector.send.messages"));
        var batches = MessageBatches(calls);
        Assert.Equal(2, batches.Count);
        Assert.Contains($"chat-{h.Lines[2]}", batches[0].Parameters, StringComparison.Ordinal);
        Assert.Contains($"chat-{h.Lines[0]}", batches[1].Parameters, StringComparison.Ordinal);
        Assert.Contains($"chat-{h.Lines[1]}", batches[1].Parameters, StringComparison.Ordinal);
        var firstCalls = calls.Where(c => c.Method == "imconnector.send.messages").Max(c => c.Time);
        Assert.True(batches[1].Time >= firstCalls, "the second batch went after the lines' first calls");
        for (var n = 0; n < added.Count; n++)
        {
            var line = added[n].line;
            Assert.Equal(Enumerable.Range(0, counts[n]).Select(i => $"line {line} text {i}"), DialogTexts(h.App, line));
        }
    }

    [Fact]
    public async Task EachCommandsTime_CountsAgainstItsMethodsOperatingBudget()
    {
        // 30 messages at 0.02 s each: 0.6 s of send.messages, over the budget of 0.5 s a minute, in one batch.
        await using var h = await StartAsync(lines: 5, new Dictionary<string, string?>
        {
            ["Bitrix24:Client:OperatingLimitSeconds"] = "0.5",
            ["Bitrix24:Client:OperatingWindow"] = "00:01:00",
            ["Bitrix24:Client:OperatingHeadroom"] = "0",
        }, portal: p =>
        {
            p.OperatingLimitSeconds = 0.5;
            p.OperatingWindow = TimeSpan.FromMinutes(1);
            p.CostPerMessageSeconds = 0.02;
            p.CostPerMessageCallSeconds = 0;
        });
        var budget = h.App.Services.GetRequiredService<LineBridge.Bitrix24.Bitrix24OperatingBudget>();
        Assert.Equal(DateTimeOffset.MinValue, budget.ReadyAt(h.MemberId, "imconnector.send.messages"));
        var added = h.Lines.SelectMany(line => h.Service.Send(h.MemberId, line, [.. Enumerable.Range(0, 6).Select(i => Message(line, i))], ChangeAuthor.Api)).ToList();
        h.Release();

        await SandboxedApp.WaitUntilAsync(() => added.All(a => h.Get(a).Status == MessageStatus.Sent), "all 30 messages are sent");
        Assert.Single(MessageBatches(h.App.Portal.Calls));
        // The batch's own time says nothing of send.messages; its commands' result_time does: the method is spent now.
        Assert.True(budget.ReadyAt(h.MemberId, "imconnector.send.messages") > DateTimeOffset.UtcNow, "send.messages waits for its budget");
        Assert.Equal(DateTimeOffset.MinValue, budget.ReadyAt(h.MemberId, "imconnector.update.messages"));
        Assert.NotNull(budget.SecondsPerItem(h.MemberId, "imconnector.send.messages"));
    }
}
