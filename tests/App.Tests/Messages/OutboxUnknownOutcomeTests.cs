using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;
using LineBridge.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace LineBridge.Messages;

/// <summary>
/// The outbox's one rule against copies: a send that may have reached the portal is deleted there before it goes
/// again. These tests take each way the dispatcher could forget that a send may have arrived: a round acting on what
/// it read while the portal's call was still out, and a call whose answer came back but was never recorded.
/// </summary>
public class OutboxUnknownOutcomeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARoundThatReadTheOutboxWhileTheSendWasOut_DoesNotSendItAgain()
    {
        using var h = new MessagesHarness(o => o.PollInterval = TimeSpan.FromMinutes(10));
        var portal = new HeldSends(h.Portal);
        var outbox = new PausingOutbox(h.Store.Outbox);
        var store = new MessageStore(h.Store.Log, outbox, h.Store.Search, h.Store.Replies);
        var signal = new OutboxSignal();
        var dispatcher = new OutboxDispatcher(store, h.Lines, h.Portals, new FakeClientFactory(portal), signal, h.Updates,
            Microsoft.Extensions.Options.Options.Create(h.Options), h.Time, NullLogger<OutboxDispatcher>.Instance);
        var sent = h.Send(MessagesHarness.Message("a"), MessagesHarness.Message("b"));

        await dispatcher.StartAsync(Ct);
        try
        {
            await SandboxedApp.WaitUntilAsync(() => Volatile.Read(ref portal.Held) == 1, "the send is out with the portal");
            // The next round reads the outbox now, while the send is out, and is held just after reading it...
            outbox.PauseNextClaim();
            signal.Notify();
            await outbox.Paused.Task.WaitAsync(TimeSpan.FromSeconds(90), Ct);
            // ...until the send has come back and been recorded, and the portal's delivery is over.
            portal.Release.SetResult();
            await SandboxedApp.WaitUntilAsync(() => sent.All(s => h.Record(s).Status == MessageStatus.Sent) && !dispatcher.IsDelivering(MessagesHarness.MemberId),
                "the send is recorded and the portal's delivery ended");
            var claims = outbox.Claims;
            outbox.Resume.SetResult();
            // The paused round has run to its end once a later round reads the outbox, and what it started has ended.
            await SandboxedApp.WaitUntilAsync(() =>
            {
                if (outbox.Claims == claims) signal.Notify();
                return outbox.Claims > claims && !dispatcher.IsDelivering(MessagesHarness.MemberId);
            }, "the paused round ran to its end");
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }

        Assert.Equal(["send"], h.Portal.Calls.Select(c => c.Method));
        Assert.Equal(["a", "b"], h.Portal.PortalCopies.Order());
    }

    [Fact]
    public async Task ASendWhoseAnswerWasNeverRecorded_IsDeletedBeforeItGoesAgain()
    {
        using var h = new MessagesHarness();
        var outbox = new PausingOutbox(h.Store.Outbox) { FailNextComplete = true };
        var store = new MessageStore(h.Store.Log, outbox, h.Store.Search, h.Store.Replies);
        var dispatcher = new OutboxDispatcher(store, h.Lines, h.Portals, new FakeClientFactory(h.Portal), new OutboxSignal(), h.Updates,
            Microsoft.Extensions.Options.Options.Create(h.Options), h.Time, NullLogger<OutboxDispatcher>.Instance);
        var sent = h.Send(MessagesHarness.Message("a"));

        // The portal took the send, but recording its answer failed: the item is still in the outbox, out with the portal.
        await Assert.ThrowsAsync<IOException>(() => dispatcher.RunOnceAsync(Ct));
        for (var i = 0; i < 10 && await dispatcher.RunOnceAsync(Ct) == TimeSpan.Zero; i++)
        {
        }

        Assert.Equal(["send", "delete", "send"], h.Portal.Calls.Select(c => c.Method));
        Assert.Equal(["a"], h.Portal.PortalCopies);
        Assert.Equal(MessageStatus.Sent, h.Record(sent[0]).Status);
    }

    /// <summary>Holds the first send at the portal until released (the call is out meanwhile); later calls go at once.</summary>
    private sealed class HeldSends(FakeConnectorClient inner) : ConnectorClient
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Held;

        public override async Task<ConnectorMessagesResult> SendMessagesAsync(ConnectorMessagesRequest request, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref Held) == 1) await Release.Task.WaitAsync(cancellationToken);
            return await inner.SendMessagesAsync(request, cancellationToken);
        }

        public override Task<ConnectorMessagesResult> UpdateMessagesAsync(ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
            inner.UpdateMessagesAsync(request, cancellationToken);

        public override Task<ConnectorMessagesResult> DeleteMessagesAsync(ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
            inner.DeleteMessagesAsync(request, cancellationToken);
    }

    /// <summary>
    /// The real outbox, with a claim that can be held just after it read (so the reader acts on what it read later),
    /// and a completion that can fail once (the store could not record the portal's answer).
    /// </summary>
    private sealed class PausingOutbox(IOutboxStore inner) : IOutboxStore
    {
        private int _pauseNext;
        private int _claims;

        public TaskCompletionSource Paused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool FailNextComplete { get; set; }
        public int Claims => Volatile.Read(ref _claims);

        public void PauseNextClaim() => Volatile.Write(ref _pauseNext, 1);

        public IReadOnlyList<OutboxItem> Claim(int max)
        {
            var read = inner.Claim(max);
            if (Interlocked.Exchange(ref _pauseNext, 0) == 1)
            {
                Paused.SetResult();
                // The dispatcher's loop reads synchronously: hold it here, as a slow read would.
                Resume.Task.Wait(TimeSpan.FromSeconds(90));
            }
            Interlocked.Increment(ref _claims);
            return read;
        }

        public IReadOnlyList<MessageRecord> Complete(IReadOnlyList<OutboxCompletion> completions)
        {
            if (FailNextComplete)
            {
                FailNextComplete = false;
                throw new IOException("The store could not write.");
            }
            return inner.Complete(completions);
        }

        public IReadOnlyList<OutboxItem> ClaimOf(string memberId, int max) => inner.ClaimOf(memberId, max);
        public void Release() => inner.Release();
        public bool HasPendingWork() => inner.HasPendingWork();
        public IReadOnlyList<OutboxItem> MarkInFlight(IReadOnlyList<OutboxItem> items) => inner.MarkInFlight(items);
        public int RecoverInFlight() => inner.RecoverInFlight();
        public void Reschedule(IReadOnlyList<OutboxItem> items, string error, DateTime nextAttemptAt, bool deleteFirst) =>
            inner.Reschedule(items, error, nextAttemptAt, deleteFirst);
        public void ClearDeleteFirst(IReadOnlyList<OutboxItem> items) => inner.ClearDeleteFirst(items);
        public IReadOnlyList<MessageRecord> MarkWaiting(IReadOnlyList<LiteDB.ObjectId> messageIds, string reason) => inner.MarkWaiting(messageIds, reason);
        public void Hold(IReadOnlyList<OutboxItem> items, DateTime? notBefore = null) => inner.Hold(items, notBefore);
        public int CountPending(string memberId, int line) => inner.CountPending(memberId, line);
        public IReadOnlyList<MessageRecord> NoteRetry(IReadOnlyList<OutboxItem> items, string reason) => inner.NoteRetry(items, reason);
        public OutboxDepth Depth() => inner.Depth();
    }
}
