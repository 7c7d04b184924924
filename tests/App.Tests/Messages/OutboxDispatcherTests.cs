using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;

namespace LineBridge.Messages;

public class OutboxDispatcherTests
{
    [Fact]
    public async Task RunOnce_SendsPendingMessagesOfOneLineTogether_UpToTheBatchSize()
    {
        using var h = new MessagesHarness(o => o.BatchSize = 50);
        h.Send(Enumerable.Range(0, 120).Select(i => MessagesHarness.Message("m" + i)).ToArray());

        await h.DrainAsync();

        Assert.Equal([50, 50, 20], h.Portal.Calls.Select(c => c.Request.Messages.Count));
        Assert.All(h.Portal.Calls, c => Assert.Equal("send", c.Method));
        Assert.Equal(Enumerable.Range(0, 120).Select(i => "m" + i), h.Portal.Calls.SelectMany(c => c.Request.Messages).Select(m => m.Message.Id));
        var page = await h.Service.QueryAsync(MessagesHarness.Session(), new MessageQuery(1, PageSize: 200), TestContext.Current.CancellationToken);
        Assert.All(page.Items, m => Assert.Equal(MessageStatus.Sent, m.Status));
    }

    [Fact]
    public async Task RunOnce_KeepsLinesAndKindsInSeparateCalls()
    {
        using var h = new MessagesHarness();
        var a = h.Send(1, MessagesHarness.Message("a"));
        h.Send(2, MessagesHarness.Message("b"));
        await h.DrainAsync();
        h.Portal.Calls.Clear();

        h.Service.Edit(MessagesHarness.MemberId, a[0].Record.Id, null, "edited", ChangeAuthor.Api);
        h.Send(1, MessagesHarness.Message("c"));
        await h.DrainAsync();

        Assert.Equal(2, h.Portal.Calls.Count);
        Assert.Contains(h.Portal.Calls, c => c.Method == "update" && c.Request.Line == 1 && c.Request.Messages.Single().Message.Text == "edited");
        Assert.Contains(h.Portal.Calls, c => c.Method == "send" && c.Request.Line == 1 && c.Request.Messages.Single().Message.Id == "c");
    }

    [Fact]
    public async Task RunOnce_DeliversAnEditAfterItsSend_AndEditsQueuedBehindItAsOneUpdateWithTheNewestText()
    {
        using var h = new MessagesHarness();
        var sent = h.Send(MessagesHarness.Message("m1", "v1"));
        var id = sent[0].Record.Id;
        h.Service.Edit(MessagesHarness.MemberId, id, 1, "v2", ChangeAuthor.Api);
        h.Service.Edit(MessagesHarness.MemberId, id, 2, "v3", ChangeAuthor.Api);

        await h.DrainAsync();

        Assert.Equal(["send:v1", "update:v3"], h.Portal.Calls.Select(c => $"{c.Method}:{c.Request.Messages.Single().Message.Text}"));
        var record = h.Store.Get(MessagesHarness.MemberId, id)!;
        Assert.Equal((MessageStatus.Sent, "v3", 3, "v3"), (record.Status, record.Text, record.Version, record.PortalText));
        var versions = h.Store.GetVersions(MessagesHarness.MemberId, id).OrderBy(v => v.Version).ToList();
        Assert.Equal([MessageStatus.Sent, MessageStatus.Superseded, MessageStatus.Sent], versions.Select(v => v.Status));
        Assert.Equal("Superseded by version 3: not sent on its own.", LineBridge.Components.Localization.Localizer.PlainEnglish(versions[1].PortalAnswer));
        Assert.StartsWith("SUCCESS", versions[2].PortalAnswer);
    }

    [Fact]
    public async Task QueuedEditsOfADeliveredMessage_GoAsOneUpdate_AndHistoryKeepsEveryVersion()
    {
        using var h = new MessagesHarness();
        var sent = h.Send(MessagesHarness.Message("m1", "v1"), MessagesHarness.Message("m2", "w1"));
        await h.DrainAsync();
        h.Portal.Calls.Clear();
        var first = sent[0].Record.Id;
        var second = sent[1].Record.Id;
        for (var v = 2; v <= 5; v++) h.Service.Edit(MessagesHarness.MemberId, first, null, "v" + v, ChangeAuthor.Api);
        h.Service.Edit(MessagesHarness.MemberId, second, null, "w2", ChangeAuthor.Api);

        await h.DrainAsync();

        // One call: the newest text of each message, nothing else.
        var call = Assert.Single(h.Portal.Calls);
        Assert.Equal("update", call.Method);
        Assert.Equal(["m1:v5", "m2:w2"], call.Request.Messages.Select(m => $"{m.Message.Id}:{m.Message.Text}"));
        var history = await h.Service.GetHistoryAsync(MessagesHarness.Session(), first.ToString(), TestContext.Current.CancellationToken);
        Assert.Equal(["v1", "v2", "v3", "v4", "v5"], history.OrderBy(v => v.Version).Select(v => v.NewText));
        Assert.Equal([MessageStatus.Sent, MessageStatus.Superseded, MessageStatus.Superseded, MessageStatus.Superseded, MessageStatus.Sent],
            history.OrderBy(v => v.Version).Select(v => v.Status));
        Assert.Equal(MessageStatus.Sent, h.Record(sent[0]).Status);
        Assert.Equal(0, h.Store.CountPending(MessagesHarness.MemberId, 1));
    }

    [Fact]
    public async Task CoalescedEdits_ThatTheCallFailsFor_RetryTogether_AndTheNewestTextGoesOnce()
    {
        using var h = new MessagesHarness();
        var sent = h.Send(MessagesHarness.Message("m1", "v1"));
        await h.DrainAsync();
        h.Portal.Calls.Clear();
        var id = sent[0].Record.Id;
        h.Service.Edit(MessagesHarness.MemberId, id, null, "v2", ChangeAuthor.Api);
        h.Service.Edit(MessagesHarness.MemberId, id, null, "v3", ChangeAuthor.Api);
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error(HttpStatusCode.ServiceUnavailable, Bitrix24Errors.QueryLimitExceeded, "Too many requests"));

        await h.DrainAsync();
        Assert.Equal(MessageStatus.Queued, h.Record(sent[0]).Status);
        Assert.All(h.Store.GetVersions(MessagesHarness.MemberId, id).Where(v => v.Version > 1), v => Assert.Equal(MessageStatus.Queued, v.Status));

        h.Time.Advance(TimeSpan.FromSeconds(5));
        h.Service.Edit(MessagesHarness.MemberId, id, null, "v4", ChangeAuthor.Api);
        await h.DrainAsync();

        Assert.Equal(["update:v3", "update:v4"], h.Portal.Calls.Select(c => $"{c.Method}:{c.Request.Messages.Single().Message.Text}"));
        Assert.Equal([MessageStatus.Sent, MessageStatus.Superseded, MessageStatus.Superseded, MessageStatus.Sent],
            h.Store.GetVersions(MessagesHarness.MemberId, id).OrderBy(v => v.Version).Select(v => v.Status));
        Assert.Equal(("v4", MessageStatus.Sent), (h.Record(sent[0]).PortalText, h.Record(sent[0]).Status));
    }

    [Fact]
    public async Task RunOnce_PacksAsManyMessagesPerCallAsTheBatchSizeAllows_ByDefault500()
    {
        using var h = new MessagesHarness();
        h.Send(Enumerable.Range(0, 1200).Select(i => MessagesHarness.Message("m" + i)).ToArray());

        await h.DrainAsync();

        Assert.Equal([500, 500, 200], h.Portal.Calls.Select(c => c.Request.Messages.Count));
        Assert.Equal(Enumerable.Range(0, 1200).Select(i => "m" + i), h.Portal.Calls.SelectMany(c => c.Request.Messages).Select(m => m.Message.Id));
    }

    [Fact]
    public async Task RunOnce_KeepsEachCallsBodyUnderTheByteLimit()
    {
        using var h = new MessagesHarness(o => o.MaxCallBytes = 100_000);
        var text = new string('x', 10_000);    // about 31 KB each on the safe side (3 bytes a character)
        h.Send(Enumerable.Range(0, 10).Select(i => MessagesHarness.Message("m" + i, text)).ToArray());

        await h.DrainAsync();

        Assert.Equal([3, 3, 3, 1], h.Portal.Calls.Select(c => c.Request.Messages.Count));
        Assert.All(h.Portal.Calls, c => Assert.True(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(c.Request.Messages).Length < 100_000));
    }

    [Fact]
    public async Task Update_AddressesTheSameUserChatAndLineAsTheSend()
    {
        using var h = new MessagesHarness();
        var sent = h.Send(3, MessagesHarness.Message("m1", "v1", chat: "Chat-A", user: "User-A"));
        h.Service.Edit(MessagesHarness.MemberId, sent[0].Record.Id, null, "v2", ChangeAuthor.Api);
        h.Service.Delete(MessagesHarness.MemberId, sent[0].Record.Id, null, ChangeAuthor.Api);

        await h.DrainAsync();

        Assert.Equal(["send", "update", "delete"], h.Portal.Calls.Select(c => c.Method));
        Assert.All(h.Portal.Calls, c =>
        {
            var m = c.Request.Messages.Single();
            Assert.Equal((3, "User-A", "Chat-A", "m1"), (c.Request.Line, m.User.Id, m.Chat.Id, m.Message.Id));
        });
        Assert.Equal(MessageStatus.Deleted, h.Record(sent[0]).Status);
    }

    [Fact]
    public async Task PerItemFailure_IsRecordedOnItsMessageWithThePortalsReason()
    {
        using var h = new MessagesHarness();
        h.Portal.Answer = (_, m) => m.Message.Id == "bad"
            ? new() { Success = false, Errors = ["Not all the required data was transmitted"] }
            : new() { Success = true, PortalUserId = "585" };
        var sent = h.Send(MessagesHarness.Message("good"), MessagesHarness.Message("bad"));

        await h.DrainAsync();

        Assert.Single(h.Portal.Calls);
        Assert.Equal(MessageStatus.Sent, h.Record(sent[0]).Status);
        var bad = h.Record(sent[1]);
        Assert.Equal(MessageStatus.Failed, bad.Status);
        Assert.Equal("Not all the required data was transmitted", bad.FailureReason);
        var history = await h.Service.GetHistoryAsync(MessagesHarness.Session(), bad.Id.ToString(), TestContext.Current.CancellationToken);
        Assert.Equal(MessageStatus.Failed, history.Single().Status);
    }

    [Fact]
    public async Task WholeCallRefusal_FailsEachMessageWithTheBitrix24Code()
    {
        using var h = new MessagesHarness();
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error(HttpStatusCode.BadRequest, Bitrix24Errors.ErrorArgument, "Not all the required data"));
        var sent = h.Send(MessagesHarness.Message("a"), MessagesHarness.Message("b"));

        await h.DrainAsync();

        Assert.Single(h.Portal.Calls);
        Assert.All(sent, s => Assert.Equal("ERROR_ARGUMENT: Not all the required data", h.Record(s).FailureReason));
        Assert.All(sent, s => Assert.Equal(MessageStatus.Failed, h.Record(s).Status));
    }

    [Fact]
    public async Task RateLimitedSend_IsRetriedAfterBackOff_WithoutADelete()
    {
        using var h = new MessagesHarness();
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error(HttpStatusCode.ServiceUnavailable, Bitrix24Errors.QueryLimitExceeded, "Too many requests"));
        var sent = h.Send(MessagesHarness.Message("a"));

        await h.DrainAsync();
        Assert.Single(h.Portal.Calls);
        Assert.Equal(MessageStatus.Queued, h.Record(sent[0]).Status);
        Assert.Contains("QUERY_LIMIT_EXCEEDED", h.Record(sent[0]).FailureReason);

        h.Time.Advance(TimeSpan.FromSeconds(2));
        await h.DrainAsync();

        Assert.Equal(["send", "send"], h.Portal.Calls.Select(c => c.Method));
        Assert.Equal(MessageStatus.Sent, h.Record(sent[0]).Status);
        Assert.Null(h.Record(sent[0]).FailureReason);
        Assert.Equal(["a"], h.Portal.PortalCopies);
    }

    [Fact]
    public async Task SendToAPortalNeedingReauthorization_WaitsQueued_AndGoesOnceTheTokensWork()
    {
        using var h = new MessagesHarness();
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error(HttpStatusCode.Unauthorized, Bitrix24Errors.ReauthorizationRequired,
            "The portal refused LineBridge's refresh token (invalid_grant)."));
        var sent = h.Send(MessagesHarness.Message("a"));

        await h.DrainAsync();
        Assert.Equal(MessageStatus.Queued, h.Record(sent[0]).Status);
        Assert.Contains("REAUTHORIZATION_REQUIRED", h.Record(sent[0]).FailureReason);

        h.Time.Advance(TimeSpan.FromSeconds(2));
        await h.DrainAsync();

        Assert.Equal(MessageStatus.Sent, h.Record(sent[0]).Status);
        Assert.Equal(["a"], h.Portal.PortalCopies);
    }

    [Fact]
    public async Task RetryDelay_GrowsWithEachAttempt()
    {
        using var h = new MessagesHarness(o => { o.RetryDelay = TimeSpan.FromSeconds(10); o.MaxRetryDelay = TimeSpan.FromMinutes(10); });
        for (var i = 0; i < 3; i++) h.Portal.Failures.Enqueue(FakeConnectorClient.Error(HttpStatusCode.TooManyRequests, Bitrix24Errors.OperationTimeLimit));
        h.Send(MessagesHarness.Message("a"));

        await h.DrainAsync();
        h.Time.Advance(TimeSpan.FromSeconds(13));   // first delay: 10 s ± 25 %
        await h.DrainAsync();
        Assert.Equal(2, h.Portal.Calls.Count);
        h.Time.Advance(TimeSpan.FromSeconds(14));   // second delay is 20 s ± 25 %, so not yet due
        await h.DrainAsync();
        Assert.Equal(2, h.Portal.Calls.Count);
        h.Time.Advance(TimeSpan.FromSeconds(12));
        await h.DrainAsync();
        Assert.Equal(3, h.Portal.Calls.Count);
    }

    [Fact]
    public async Task LostAnswerToASend_DeletesTheIdsBeforeSendingAgain_SoTheDialogHasOneCopy()
    {
        using var h = new MessagesHarness();
        h.Portal.LoseNextAnswer = true;   // the portal got it, we never heard back
        var sent = h.Send(MessagesHarness.Message("a"), MessagesHarness.Message("b"));

        await h.DrainAsync();
        h.Time.Advance(TimeSpan.FromMinutes(1));
        await h.DrainAsync();

        Assert.Equal(["send", "delete", "send"], h.Portal.Calls.Select(c => c.Method));
        Assert.Equal(["a", "b"], h.Portal.Calls[1].Request.Messages.Select(m => m.Message.Id));
        Assert.Equal(["a", "b"], h.Portal.PortalCopies.Order());
        Assert.All(sent, s => Assert.Equal(MessageStatus.Sent, h.Record(s).Status));
    }

    [Theory]
    [InlineData(0, Bitrix24Errors.NetworkError, true)]
    [InlineData(500, Bitrix24Errors.InternalServerError, true)]
    [InlineData(503, "SERVICE_UNAVAILABLE", true)]
    [InlineData(503, Bitrix24Errors.QueryLimitExceeded, false)]
    [InlineData(429, Bitrix24Errors.OperationTimeLimit, false)]
    [InlineData(401, Bitrix24Errors.ExpiredToken, false)]
    public async Task TransientSendFailure_PrecedesTheRetryWithADelete_OnlyWhenTheSendMayHaveArrived(int status, string code, bool deleteFirst)
    {
        using var h = new MessagesHarness();
        h.Portal.Failures.Enqueue(FakeConnectorClient.Error((HttpStatusCode)status, code));
        h.Send(MessagesHarness.Message("a"));

        await h.DrainAsync();
        h.Time.Advance(TimeSpan.FromMinutes(1));
        await h.DrainAsync();

        Assert.Equal(deleteFirst ? ["send", "delete", "send"] : new[] { "send", "send" }, h.Portal.Calls.Select(c => c.Method));
        Assert.Equal(["a"], h.Portal.PortalCopies);
    }

    [Fact]
    public async Task Restart_DeletesSendsThatWereOutWithThePortal_BeforeSendingThemAgain()
    {
        using var h = new MessagesHarness();
        var sent = h.Send(MessagesHarness.Message("a"));
        // The process stops while the send is out: marked in flight, and the portal did get it.
        h.Store.MarkInFlight(h.Store.LoadOutbox(10));
        h.Portal.PortalCopies.Add("a");

        h.Restart();
        Assert.Equal(1, h.Store.RecoverInFlight());
        await h.DrainAsync();

        Assert.Equal(["delete", "send"], h.Portal.Calls.Select(c => c.Method));
        Assert.Equal(["a"], h.Portal.PortalCopies);
        Assert.Equal(MessageStatus.Sent, h.Record(sent[0]).Status);
    }

    [Fact]
    public async Task Restart_ResumesQueuedWork()
    {
        using var h = new MessagesHarness();
        h.Send(MessagesHarness.Message("a"), MessagesHarness.Message("b"));

        h.Restart();
        h.Store.RecoverInFlight();
        await h.DrainAsync();

        Assert.Equal(["send"], h.Portal.Calls.Select(c => c.Method));
        Assert.Equal(["a", "b"], h.Portal.PortalCopies);
    }

    [Fact]
    public async Task FailedSend_FailsTheEditsWaitingBehindIt()
    {
        using var h = new MessagesHarness();
        h.Portal.Answer = (_, _) => new() { Success = false, Errors = ["bad user"] };
        var sent = h.Send(MessagesHarness.Message("a"));
        h.Service.Edit(MessagesHarness.MemberId, sent[0].Record.Id, null, "v2", ChangeAuthor.Api);

        await h.DrainAsync();

        Assert.Equal(["send"], h.Portal.Calls.Select(c => c.Method));
        Assert.Equal(MessageStatus.Failed, h.Record(sent[0]).Status);
        var history = h.Store.GetVersions(MessagesHarness.MemberId, sent[0].Record.Id);
        Assert.All(history, v => Assert.Equal(MessageStatus.Failed, v.Status));
    }

    [Fact]
    public async Task Results_ArePushedToSubscribersOfThePortal()
    {
        using var h = new MessagesHarness();
        var seen = new List<SentMessage>();
        var other = new List<SentMessage>();
        using var _ = h.Updates.Subscribe(MessagesHarness.MemberId, m => { lock (seen) seen.Add(m); return Task.CompletedTask; });
        using var __ = h.Updates.Subscribe(MessagesHarness.OtherMemberId, m => { lock (other) other.Add(m); return Task.CompletedTask; });

        h.Send(MessagesHarness.Message("a"));
        await h.DrainAsync();

        lock (seen) Assert.Equal([MessageStatus.Queued, MessageStatus.Sent], seen.Select(m => m.Status));
        Assert.Empty(other);
    }
}

/// <summary>The background dispatcher serves each portal on its own: one whose calls hang holds up no other.</summary>
public class OutboxDispatcherIsolationTests
{
    /// <summary>A portal client whose calls for one portal wait until released.</summary>
    private sealed class HangingPortal(string hangingMemberId, FakeConnectorClient others) : Bitrix24ClientFactory
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int HangingCalls;

        public override Bitrix24Client ForPortal(string memberId) =>
            new FakeBitrix24Client(memberId == hangingMemberId ? new Hanging(this, others) : others);

        private sealed class Hanging(HangingPortal owner, FakeConnectorClient inner) : ConnectorClient
        {
            public override async Task<Bitrix24.Models.ConnectorMessagesResult> SendMessagesAsync(
                Bitrix24.Models.ConnectorMessagesRequest request, CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref owner.HangingCalls);
                await owner.Release.Task.WaitAsync(cancellationToken);
                return await inner.SendMessagesAsync(request, cancellationToken);
            }
        }
    }

    [Fact]
    public async Task APortalWhoseCallsHang_DoesNotHoldUpAnotherPortalsMessages()
    {
        using var h = new MessagesHarness();
        var factory = new HangingPortal(MessagesHarness.MemberId, h.Portal);
        var signal = new OutboxSignal();
        var dispatcher = new OutboxDispatcher(h.Store, h.Lines, h.Portals, factory, signal, h.Updates,
            Microsoft.Extensions.Options.Options.Create(h.Options), h.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<OutboxDispatcher>.Instance);
        var slow = h.Send(MessagesHarness.Message("slow-1"));
        h.Lines.MarkConnected(MessagesHarness.OtherMemberId, 1);
        var quiet = h.Service.Send(MessagesHarness.OtherMemberId, 1, [MessagesHarness.Message("quiet-1")], ChangeAuthor.Api);

        await dispatcher.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            await SandboxedApp.WaitUntilAsync(() => h.Store.Get(MessagesHarness.OtherMemberId, quiet[0].Record.Id)!.Status == MessageStatus.Sent,
                "the quiet portal's first message is sent while the other portal's call hangs");
            // And later work of the quiet portal keeps going while the hanging call is out (on a loaded machine the
            // slow portal's delivery may reach its call only after the quiet portal's first message was sent).
            await SandboxedApp.WaitUntilAsync(() => Volatile.Read(ref factory.HangingCalls) == 1, "the slow portal's call is out");
            var later = h.Service.Send(MessagesHarness.OtherMemberId, 1, [MessagesHarness.Message("quiet-2")], ChangeAuthor.Api);
            signal.Notify();
            await SandboxedApp.WaitUntilAsync(() => h.Store.Get(MessagesHarness.OtherMemberId, later[0].Record.Id)!.Status == MessageStatus.Sent,
                "the quiet portal's second message is sent while the other portal's call hangs");
            Assert.Equal(1, Volatile.Read(ref factory.HangingCalls));
            Assert.Equal(MessageStatus.Queued, h.Record(slow[0]).Status);

            factory.Release.SetResult();
            await SandboxedApp.WaitUntilAsync(() => h.Record(slow[0]).Status == MessageStatus.Sent, "the slow portal's message is sent once its call returns");
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task APortalsNextWork_IsReadByItsOwnTaskAfterItsDelivery_SoASlowReadOfItsBacklogHoldsUpNoOtherPortal()
    {
        using var h = new MessagesHarness();
        var factory = new HangingPortal(MessagesHarness.MemberId, h.Portal);
        var outbox = new PausingOutbox(h.Store.Outbox);
        var store = new LineBridge.Storage.MessageStore(h.Store.Log, outbox, h.Store.Search, h.Store.Replies);
        var signal = new OutboxSignal();
        var dispatcher = new OutboxDispatcher(store, h.Lines, h.Portals, factory, signal, h.Updates,
            Microsoft.Extensions.Options.Options.Create(h.Options), h.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<OutboxDispatcher>.Instance);
        var first = h.Send(MessagesHarness.Message("busy-1"));
        h.Lines.MarkConnected(MessagesHarness.OtherMemberId, 1);

        await dispatcher.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            // The busy portal's call is out; meanwhile more work of it is accepted (its backlog).
            await SandboxedApp.WaitUntilAsync(() => Volatile.Read(ref factory.HangingCalls) == 1, "the busy portal's call is out");
            var next = h.Send(MessagesHarness.Message("busy-2"));
            // Whoever reads that backlog once the call returns is held there, as a slow read of thousands of items is.
            outbox.PauseNextReadOf(MessagesHarness.MemberId);
            factory.Release.SetResult();
            await outbox.Paused.Task.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
            Assert.Equal(MessageStatus.Sent, h.Record(first[0]).Status);

            var quiet = h.Service.Send(MessagesHarness.OtherMemberId, 1, [MessagesHarness.Message("quiet-1")], ChangeAuthor.Api);
            signal.Notify();
            await SandboxedApp.WaitUntilAsync(() => h.Store.Get(MessagesHarness.OtherMemberId, quiet[0].Record.Id)!.Status == MessageStatus.Sent,
                "another portal's message is sent while the busy portal's backlog is being read");

            outbox.Resume.SetResult();
            await SandboxedApp.WaitUntilAsync(() => h.Record(next[0]).Status == MessageStatus.Sent, "the busy portal's next message is sent after its read");
        }
        finally
        {
            outbox.Resume.TrySetResult();
            await dispatcher.StopAsync(CancellationToken.None);
        }
    }
}

public class OutboxDispatcherBacklogTests
{
    [Fact]
    public async Task AQuietPortalsMessage_GoesOut_WhileAnotherPortalsBacklogFillsTheRoundsWindow()
    {
        using var h = new MessagesHarness();
        h.Dispatcher.MaxItemsPerRound = 5;
        h.Portals.Save(new LineBridge.Storage.Portal { MemberId = MessagesHarness.OtherMemberId, Domain = "quiet.example", ClientEndpoint = "http://127.0.0.1:9/rest/" });
        // The busy portal's backlog is older than anything of the quiet portal's, and larger than the window.
        h.Send(Enumerable.Range(0, 10).Select(i => MessagesHarness.Message("busy-" + i)).ToArray());
        h.Lines.MarkConnected(MessagesHarness.OtherMemberId, 1);
        h.Service.Send(MessagesHarness.OtherMemberId, 1, [MessagesHarness.Message("quiet-1")], ChangeAuthor.Api);

        await h.Dispatcher.RunOnceAsync(TestContext.Current.CancellationToken);

        Assert.Contains(h.Portal.Calls, c => c.Request.Messages.Any(m => m.Message.Id == "quiet-1"));
    }
}

public class OutboxDispatcherPacingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APortalWhoseWorkAllWaitsForItsBudget_IsNotReadByTheRounds_UntilItsRecheck_AndItsWorkWaitsVisibly()
    {
        using var h = new MessagesHarness();
        var outbox = new PausingOutbox(h.Store.Outbox);
        var store = new LineBridge.Storage.MessageStore(h.Store.Log, outbox, h.Store.Search, h.Store.Replies);
        var budget = new LineBridge.Bitrix24.Bitrix24OperatingBudget(
            Microsoft.Extensions.Options.Options.Create(new LineBridge.Bitrix24.Bitrix24ClientOptions()), h.Time);
        var dispatcher = new OutboxDispatcher(store, h.Lines, h.Portals, new FakeClientFactory(h.Portal), new OutboxSignal(), h.Updates,
            Microsoft.Extensions.Options.Options.Create(h.Options), h.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<OutboxDispatcher>.Instance,
            operatingBudget: budget);
        // The busy portal has spent its sends' budget for the next minute (the portal said so in its last answer).
        budget.Observe(MessagesHarness.MemberId, "imconnector.send.messages",
            new LineBridge.Bitrix24.Bitrix24Time(0, 480, h.Time.GetUtcNow().AddMinutes(1).ToUnixTimeSeconds()));
        var busy = h.Send(MessagesHarness.Message("busy-1"), MessagesHarness.Message("busy-2"));
        h.Lines.MarkConnected(MessagesHarness.OtherMemberId, 1);
        void SendQuiet(string id) => h.Service.Send(MessagesHarness.OtherMemberId, 1, [MessagesHarness.Message(id)], ChangeAuthor.Api);

        SendQuiet("quiet-1");
        await dispatcher.RunOnceAsync(Ct);
        SendQuiet("quiet-2");
        await dispatcher.RunOnceAsync(Ct);

        var reads = outbox.Reads.ToList();
        Assert.Contains(MessagesHarness.MemberId, reads[0].Read);               // read once, and found paced...
        Assert.Equal([MessagesHarness.MemberId], reads[1].Except);              // ...then left out of the next round
        Assert.DoesNotContain(MessagesHarness.MemberId, reads[1].Read);
        Assert.Equal(["quiet-1", "quiet-2"], h.Portal.Calls.SelectMany(c => c.Request.Messages).Select(m => m.Message.Id));
        Assert.All(busy, b => Assert.Equal(MessageStatus.Waiting, h.Record(b).Status));   // shown as waiting for the budget

        // After the recheck the busy portal is read again (work for its other methods is not held up for long).
        h.Time.Advance(TimeSpan.FromSeconds(1.5));
        await dispatcher.RunOnceAsync(Ct);
        Assert.Contains(MessagesHarness.MemberId, outbox.Reads.Last().Read);
        Assert.All(busy, b => Assert.Equal(MessageStatus.Waiting, h.Record(b).Status));   // shown as waiting for the budget
    }
}
