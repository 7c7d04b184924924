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
}
