using LineBridge.Components.Messages;
using LineBridge.Infrastructure;
using LineBridge.Storage;
using LineBridge.Storage.Contracts;
using Microsoft.Extensions.Logging.Abstractions;

namespace LineBridge.Messages;

/// <summary>
/// Two app instances' dispatchers (each with its portals' follow-ups) on one PostgreSQL outbox: every send reaches the
/// portal once, and every edit goes only after its send.
/// </summary>
public sealed class FollowUpOnSharedStoreTests
{
    [Fact]
    public async Task TwoInstancesDeliveringWithFollowUps_SendEachMessageOnce_AndEachEditAfterItsSend()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var ct = TestContext.Current.CancellationToken;
        var time = TimeProvider.System;
        var portal = new FakeConnectorClient();
        var members = new[] { "member-a", "member-b", "member-c" };
        var options = Microsoft.Extensions.Options.Options.Create(new MessageOptions
        {
            RetryDelay = TimeSpan.FromMilliseconds(200), MaxRetryDelay = TimeSpan.FromSeconds(1), PollInterval = TimeSpan.FromMilliseconds(200),
        });
        (OutboxDispatcher Dispatcher, OutboxSignal Signal, MessageStore Store) Instance()
        {
            var store = backend.Messages(time);
            var signal = new OutboxSignal();
            var lines = new LineConnections(backend.LineConnectionRecords(), time, signal);
            var portals = new PortalStore(backend.PortalRecords(), backend.DataProtection(), time);
            var updates = new MessageUpdates(NullLogger<MessageUpdates>.Instance);
            return (new OutboxDispatcher(store, lines, portals, new FakeClientFactory(portal), signal, updates, options, time,
                NullLogger<OutboxDispatcher>.Instance), signal, store);
        }
        var a = Instance();
        var b = Instance();
        var setup = new LineConnections(backend.LineConnectionRecords(), time);
        foreach (var m in members) setup.MarkConnected(m, 1);

        await a.Dispatcher.StartAsync(ct);
        await b.Dispatcher.StartAsync(ct);
        var ids = new List<(string MemberId, LiteDB.ObjectId Id, string External)>();
        try
        {
            for (var round = 0; round < 6; round++)
            {
                foreach (var m in members)
                {
                    var added = a.Store.Add(Enumerable.Range(0, 10).Select(i => Sample.Message($"{m}-{round}-{i}", "one", chat: "chat-" + (i % 3), memberId: m)).ToList(), "API", "API");
                    foreach (var x in added)
                    {
                        ids.Add((m, x.Record.Id, x.Record.ExternalMessageId));
                        a.Store.Change(m, x.Record.Id, ChangeKind.Edit, null, "two", "API", "API");
                    }
                }
                a.Signal.Notify();
                b.Signal.Notify();
            }
            await SandboxedApp.WaitUntilAsync(() => ids.All(x =>
                a.Store.Get(x.MemberId, x.Id) is { Status: MessageStatus.Sent, PortalText: "two" }), "every message is sent and edited");
        }
        finally
        {
            await a.Dispatcher.StopAsync(CancellationToken.None);
            await b.Dispatcher.StopAsync(CancellationToken.None);
        }

        // The dispatchers are stopped: nothing adds calls now.
        var calls = portal.Calls.SelectMany(c => c.Request.Messages.Select(m => (c.Method, Id: m.Message.Id!))).ToList();
        var copies = portal.PortalCopies.GroupBy(c => c).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(copies);
        foreach (var (_, _, external) in ids)
        {
            var firstSend = calls.FindIndex(c => c.Method == "send" && c.Id == external);
            var firstUpdate = calls.FindIndex(c => c.Method == "update" && c.Id == external);
            // An edit made before the send went may travel in the send itself (then no update is needed).
            Assert.True(firstSend >= 0 && (firstUpdate < 0 || firstSend < firstUpdate), $"{external}: send at {firstSend}, update at {firstUpdate}");
        }
    }
}

/// <summary>A portal whose sends wait for their operating budget, in the background service (its rechecks are follow-ups).</summary>
public sealed class FollowUpPacingTests
{
    [Fact]
    public async Task AnEditOfADeliveredMessage_GoesAtTheRecheck_WhileThePortalsSendsWaitForTheirBudget()
    {
        using var h = new MessagesHarness(o => o.PollInterval = TimeSpan.FromMilliseconds(200));
        var ct = TestContext.Current.CancellationToken;
        var budget = new LineBridge.Bitrix24.Bitrix24OperatingBudget(
            Microsoft.Extensions.Options.Options.Create(new LineBridge.Bitrix24.Bitrix24ClientOptions()), h.Time);
        var signal = new OutboxSignal();
        var service = new MessageService(h.Store, h.Lines, h.Updates, signal, Microsoft.Extensions.Options.Options.Create(h.Options),
            Microsoft.Extensions.Options.Options.Create(new LineBridge.Install.Bitrix24AppOptions()), chats: new ChatDirectory(h.Db));
        var dispatcher = new OutboxDispatcher(h.Store, h.Lines, h.Portals, new FakeClientFactory(h.Portal), signal, h.Updates,
            Microsoft.Extensions.Options.Options.Create(h.Options), h.Time, NullLogger<OutboxDispatcher>.Instance, operatingBudget: budget);
        var first = h.Send(MessagesHarness.Message("m1", "one"));

        await dispatcher.StartAsync(ct);
        try
        {
            signal.Notify();
            await SandboxedApp.WaitUntilAsync(() => h.Record(first[0]).Status == MessageStatus.Sent, "the first message is sent");
            // Now the portal's sends have spent their budget for a minute; a second message waits for it.
            budget.Observe(MessagesHarness.MemberId, "imconnector.send.messages",
                new LineBridge.Bitrix24.Bitrix24Time(0, 480, h.Time.GetUtcNow().AddMinutes(1).ToUnixTimeSeconds()));
            var second = service.Send(MessagesHarness.MemberId, 1, [MessagesHarness.Message("m2")], ChangeAuthor.Api);
            await SandboxedApp.WaitUntilAsync(() => h.Record(second[0]).Status == MessageStatus.Waiting, "the second message waits for the budget");

            service.Edit(MessagesHarness.MemberId, first[0].Record.Id, null, "two", ChangeAuthor.Api);
            h.Time.Advance(TimeSpan.FromSeconds(1.5));
            signal.Notify();
            await SandboxedApp.WaitUntilAsync(() => h.Record(first[0]) is { Status: MessageStatus.Sent, PortalText: "two" },
                "the edit goes at the portal's recheck although its sends still wait");
            Assert.Equal(MessageStatus.Waiting, h.Record(second[0]).Status);
            Assert.DoesNotContain(h.Portal.Calls, c => c.Method == "send" && c.Request.Messages.Any(m => m.Message.Id == "m2"));
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }
    }
}

/// <summary>A portal's follow-up ends when its calls change nothing: a refusal that closes its gate is not asked again at once.</summary>
public sealed class FollowUpEndsTests
{
    [Theory]
    [InlineData(LineBridge.Bitrix24.Bitrix24Errors.PaymentRequired)]
    [InlineData(LineBridge.Bitrix24.Bitrix24Errors.NotActiveLine)]
    public async Task ARefusalThatClosesThePortalsGate_IsAskedOnce_WhileTheRoundsGoOn(string code)
    {
        using var h = new MessagesHarness(o => o.PollInterval = TimeSpan.FromMilliseconds(100));
        var ct = TestContext.Current.CancellationToken;
        h.Portals.Save(new Portal { MemberId = MessagesHarness.MemberId, Domain = "busy.example", ClientEndpoint = "http://127.0.0.1:9/rest/" });
        var outbox = new PausingOutbox(h.Store.Outbox);
        var store = new MessageStore(h.Store.Log, outbox, h.Store.Search, h.Store.Replies);
        var signal = new OutboxSignal();
        var dispatcher = new OutboxDispatcher(store, h.Lines, h.Portals, new FakeClientFactory(h.Portal), signal, h.Updates,
            Microsoft.Extensions.Options.Options.Create(h.Options), h.Time, NullLogger<OutboxDispatcher>.Instance);
        for (var i = 0; i < 50; i++) h.Portal.Failures.Enqueue(FakeConnectorClient.Error((System.Net.HttpStatusCode)402, code));
        var sent = h.Send(MessagesHarness.Message("m1"), MessagesHarness.Message("m2"));

        await dispatcher.StartAsync(ct);
        try
        {
            signal.Notify();
            await SandboxedApp.WaitUntilAsync(() => h.Portal.Calls.Count >= 1 && !dispatcher.IsDelivering(MessagesHarness.MemberId), "the portal was asked");
            var claims = outbox.Claims;
            await SandboxedApp.WaitUntilAsync(() => outbox.Claims >= claims + 3, "three more rounds ran");
            Assert.Single(h.Portal.Calls);
            Assert.All(sent, s => Assert.Equal(MessageStatus.Waiting, h.Record(s).Status));
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }
    }
}
