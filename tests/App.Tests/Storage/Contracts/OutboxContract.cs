using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;

namespace LineBridge.Storage.Contracts;

/// <summary>What every provider's outbox (<see cref="IOutboxStore"/>) must do for one instance.</summary>
public abstract class OutboxContract(StorageProvider provider)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    /// <summary>The first claimed item of each message, as the dispatcher sends them.</summary>
    private static List<OutboxItem> Heads(IReadOnlyList<OutboxItem> claimed) =>
        claimed.GroupBy(i => i.MessageId).Select(g => g.First()).ToList();

    [Fact]
    public async Task Claim_GivesWorkInAcceptanceOrder_AndAMessagesEditOnlyAfterItsSendIsDone()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var m1 = store.Add([Sample.Message("m1", "one")], "API", "API")[0].Record.Id;
        var m2 = store.Add([Sample.Message("m2", "two")], "API", "API")[0].Record.Id;
        store.Change(Sample.MemberId, m1, ChangeKind.Edit, null, "one, edited", "API", "API");

        var first = Heads(store.Outbox.Claim(100));
        Assert.Equal([(m1, ChangeKind.Send), (m2, ChangeKind.Send)], first.Select(i => (i.MessageId, i.Kind)));
        Assert.True(first[0].Id < first[1].Id);
        var changed = store.Outbox.Complete([new OutboxCompletion(first[0], true, "SUCCESS")]);
        Assert.Equal(MessageStatus.Queued, Assert.Single(changed).Status);   // its edit still waits

        var second = Heads(store.Outbox.Claim(100));
        Assert.Equal([(m2, ChangeKind.Send), (m1, ChangeKind.Edit)], second.Select(i => (i.MessageId, i.Kind)));
        Assert.Equal("one, edited", second[1].Text);
        store.Outbox.Complete(second.Select(i => new OutboxCompletion(i, true, "SUCCESS")).ToList());

        var settled = store.Get(Sample.MemberId, m1)!;
        Assert.Equal((MessageStatus.Sent, "one, edited", true), (settled.Status, settled.PortalText, settled.Delivered));
        Assert.All(store.GetVersions(Sample.MemberId, m1), v => Assert.Equal((MessageStatus.Sent, "SUCCESS"), (v.Status, v.PortalAnswer)));
        Assert.Empty(store.Outbox.Claim(100));
        Assert.False(store.Outbox.HasPendingWork());
    }

    [Fact]
    public async Task ClaimOf_GivesOnlyThatPortalsWork_InAcceptanceOrder()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var a1 = store.Add([Sample.Message("a1")], "API", "API")[0].Record.Id;
        store.Add([Sample.Message("b1", memberId: "member-b")], "API", "API");
        var a2 = store.Add([Sample.Message("a2")], "API", "API")[0].Record.Id;
        store.Add([Sample.Message("b2", memberId: "member-b")], "API", "API");

        var mine = store.Outbox.ClaimOf(Sample.MemberId, 10);

        Assert.Equal([a1, a2], mine.Select(i => i.MessageId));
        Assert.All(mine, i => Assert.Equal(Sample.MemberId, i.MemberId));
        Assert.Single(store.Outbox.ClaimOf(Sample.MemberId, 1));
        Assert.Empty(store.Outbox.ClaimOf("member-c", 10));
    }

    [Fact]
    public async Task ClaimOf_LeavesOutAPortalWhoseIdDiffersOnlyInCase()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var lower = store.Add([Sample.Message("a1", memberId: "member-x")], "API", "API")[0].Record.Id;
        var upper = store.Add([Sample.Message("b1", memberId: "MEMBER-X")], "API", "API")[0].Record.Id;

        Assert.Equal([lower], store.Outbox.ClaimOf("member-x", 10).Select(i => i.MessageId));
        Assert.Equal([upper], store.Outbox.ClaimOf("MEMBER-X", 10).Select(i => i.MessageId));
    }

    [Fact]
    public async Task Claim_LeavesOutTheExceptedPortals_AndStillGivesTheirWorkLater()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var a1 = store.Add([Sample.Message("a1")], "API", "API")[0].Record.Id;
        var b1 = store.Add([Sample.Message("b1", memberId: "member-b")], "API", "API")[0].Record.Id;
        var c1 = store.Add([Sample.Message("c1", memberId: "member-c")], "API", "API")[0].Record.Id;

        var others = store.Outbox.Claim(10, ["member-b", "member-c"]);

        Assert.Equal([a1], others.Select(i => i.MessageId));
        // Left out is neither read nor held: the portal's work comes with the next claim that does not leave it out.
        Assert.Equal([a1, b1, c1], Heads(store.Outbox.Claim(10)).Select(i => i.MessageId));
        Assert.Equal([a1, b1, c1], Heads(store.Outbox.Claim(10, [])).Select(i => i.MessageId));
    }

    [Fact]
    public async Task ASupersededEdit_IsRecordedAsSuperseded_AndTheMessageFollowsTheVersionThatCarriedIt()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var id = store.Add([Sample.Message("m1", "one")], "API", "API")[0].Record.Id;
        store.Outbox.Complete([new OutboxCompletion(Heads(store.Outbox.Claim(10)).Single(), true, "SUCCESS")]);
        store.Change(Sample.MemberId, id, ChangeKind.Edit, null, "two", "API", "API");
        store.Change(Sample.MemberId, id, ChangeKind.Edit, null, "three", "API", "API");

        var v2 = Heads(store.Outbox.Claim(10)).Single();
        Assert.Equal(2, v2.Version);
        var changed = store.Outbox.Complete([new OutboxCompletion(v2, true, "Superseded by version 3", SupersededBy: 3)]);

        Assert.Empty(changed);   // only the version changed; the message waits for version 3
        Assert.Equal((MessageStatus.Queued, "one"), (store.Get(Sample.MemberId, id)!.Status, store.Get(Sample.MemberId, id)!.PortalText));
        var v3 = Heads(store.Outbox.Claim(10)).Single();
        Assert.Equal(3, v3.Version);
        store.Outbox.Complete([new OutboxCompletion(v3, true, "SUCCESS")]);

        var record = store.Get(Sample.MemberId, id)!;
        Assert.Equal((MessageStatus.Sent, "three"), (record.Status, record.PortalText));
        Assert.Equal(
            [(MessageStatus.Sent, "SUCCESS"), (MessageStatus.Superseded, "Superseded by version 3"), (MessageStatus.Sent, "SUCCESS")],
            store.GetVersions(Sample.MemberId, id).Select(v => (v.Status, v.PortalAnswer)));
        Assert.False(store.Outbox.HasPendingWork());
    }

    [Fact]
    public async Task AFailedSend_FailsTheMessageAndEveryChangeQueuedBehindIt()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var id = store.Add([Sample.Message("m1", "one")], "API", "API")[0].Record.Id;
        store.Change(Sample.MemberId, id, ChangeKind.Edit, null, "two", "API", "API");

        var send = Heads(store.Outbox.Claim(100)).Single();
        store.Outbox.Complete([new OutboxCompletion(send, false, "CHAT_NOT_FOUND")]);

        var record = store.Get(Sample.MemberId, id)!;
        Assert.Equal((MessageStatus.Failed, "CHAT_NOT_FOUND"), (record.Status, record.FailureReason));
        Assert.Equal(0, store.CountPending(Sample.MemberId, 1));
        Assert.Equal([MessageStatus.Failed, MessageStatus.Failed], store.GetVersions(Sample.MemberId, id).Select(v => v.Status));
    }

    [Fact]
    public async Task Complete_SettlesACallsWorthOfDifferentOutcomesAtOnce_EachAsOnItsOwn()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var delivered = store.Add([Sample.Message("d1", "old")], "API", "API")[0].Record.Id;
        store.Outbox.Complete([new OutboxCompletion(Heads(store.Outbox.Claim(10)).Single(), true, "SUCCESS")]);
        var sent = store.Add([Sample.Message("s1", "hello")], "API", "API")[0].Record.Id;
        var failed = store.Add([Sample.Message("f1", "lost")], "API", "API")[0].Record.Id;
        store.Change(Sample.MemberId, failed, ChangeKind.Edit, null, "lost, edited", "API", "API");
        var queued = store.Add([Sample.Message("q1", "first")], "API", "API")[0].Record.Id;
        store.Change(Sample.MemberId, queued, ChangeKind.Edit, null, "first, edited", "API", "API");
        store.Change(Sample.MemberId, delivered, ChangeKind.Edit, null, "new", "API", "API");
        var heads = Heads(store.Outbox.Claim(100)).ToDictionary(i => i.MessageId);
        Assert.Equal(4, heads.Count);

        var changed = store.Outbox.Complete([
            new OutboxCompletion(heads[sent], true, "SUCCESS", new MessageItemResult { Success = true, PortalUserId = "7", SessionId = "8", PortalChatId = "9" }),
            new OutboxCompletion(heads[failed], false, "CHAT_NOT_FOUND"),
            new OutboxCompletion(heads[queued], true, "SUCCESS"),
            new OutboxCompletion(heads[delivered], true, "SUCCESS"),
        ]);

        Assert.Equal([sent, failed, queued, delivered], changed.Select(r => r.Id));
        var s = store.Get(Sample.MemberId, sent)!;
        Assert.Equal((MessageStatus.Sent, "hello", true, "7", "8", "9"), (s.Status, s.PortalText, s.Delivered, s.PortalUserId, s.SessionId, s.PortalChatId));
        var f = store.Get(Sample.MemberId, failed)!;
        Assert.Equal((MessageStatus.Failed, "CHAT_NOT_FOUND", false), (f.Status, f.FailureReason, f.Delivered));
        Assert.Equal(
            [(MessageStatus.Failed, "CHAT_NOT_FOUND"), (MessageStatus.Failed, "Not sent: the message never reached the portal.")],
            store.GetVersions(Sample.MemberId, failed).Select(v => (v.Status, v.PortalAnswer)));
        var q = store.Get(Sample.MemberId, queued)!;
        Assert.Equal((MessageStatus.Queued, "first", true), (q.Status, q.PortalText, q.Delivered));   // its edit still waits
        var d = store.Get(Sample.MemberId, delivered)!;
        Assert.Equal((MessageStatus.Sent, "new"), (d.Status, d.PortalText));
        Assert.Equal([MessageStatus.Sent, MessageStatus.Sent], store.GetVersions(Sample.MemberId, delivered).Select(v => v.Status));
        Assert.Equal([(queued, ChangeKind.Edit)], Heads(store.Outbox.Claim(100)).Select(i => (i.MessageId, i.Kind)));
    }

    [Fact]
    public async Task ASendInFlightWhenTheProcessStopped_GoesAgainOnlyAfterADeleteOfItsId()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        store.Add([Sample.Message("m1")], "API", "API");
        store.Outbox.MarkInFlight(store.Outbox.Claim(10));

        Assert.Equal(1, store.Outbox.RecoverInFlight());

        var item = Assert.Single(store.Outbox.Claim(10));
        Assert.True(item.DeleteFirst);
        Assert.False(item.InFlight);
        Assert.Equal(0, store.Outbox.RecoverInFlight());
    }

    [Fact]
    public async Task MarkInFlight_LetsOutOnlyWhatIsStillQueuedToBeSent_AsTheStoreSaysNow()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        store.Add([Sample.Message("a"), Sample.Message("b"), Sample.Message("c")], "API", "API");
        var read = store.Outbox.Claim(10);
        Assert.Equal(3, read.Count);
        // Since the outbox was read: "a" went out (and is out still), "b" met an answer that could not be read, "c" was delivered.
        Assert.Single(store.Outbox.MarkInFlight([read[0]]));
        Assert.Single(store.Outbox.MarkInFlight([read[1]]));
        store.Outbox.Reschedule([read[1]], "NETWORK_ERROR", Start.UtcDateTime, deleteFirst: true);
        store.Outbox.Complete([new OutboxCompletion(read[2], true, "SUCCESS")]);

        // The old copies say all three are queued to be sent; none of them may go.
        Assert.Empty(store.Outbox.MarkInFlight(read));
    }

    [Fact]
    public async Task RescheduleHoldAndClearDeleteFirst_KeepTheItem_CountAttempts_AndSetItsNextAttempt()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var time = new ManualTimeProvider(Start);
        var store = backend.Messages(time);
        store.Add([Sample.Message("m1")], "API", "API");

        store.Outbox.Reschedule(store.Outbox.Claim(10), "HTTP 503", Start.UtcDateTime.AddSeconds(30), deleteFirst: true);
        var rescheduled = Assert.Single(store.Outbox.Claim(10));
        Assert.Equal((1, "HTTP 503", true), (rescheduled.Attempts, rescheduled.LastError, rescheduled.DeleteFirst));
        Assert.Equal(Start.UtcDateTime.AddSeconds(30), rescheduled.NextAttemptAt.ToUniversalTime());

        store.Outbox.ClearDeleteFirst([rescheduled]);
        store.Outbox.Hold(store.Outbox.Claim(10));
        var held = Assert.Single(store.Outbox.Claim(10));
        Assert.Equal((1, false), (held.Attempts, held.DeleteFirst));
        Assert.Equal(Start.UtcDateTime, held.NextAttemptAt.ToUniversalTime());

        store.Outbox.Hold([held], Start.UtcDateTime.AddMinutes(5));
        var later = Assert.Single(store.Outbox.Claim(10));
        Assert.Equal(2, later.Attempts);
        Assert.Equal(Start.UtcDateTime.AddMinutes(5), later.NextAttemptAt.ToUniversalTime());
    }

    [Fact]
    public async Task MarkWaiting_ReturnsOnlyMessagesThatChanged_AndNoteRetryTurnsWaitingBackToQueued()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var id = store.Add([Sample.Message("m1")], "API", "API")[0].Record.Id;

        var first = store.Outbox.MarkWaiting([id, id], "The line is not connected.");
        var again = store.Outbox.MarkWaiting([id], "The line is not connected.");
        var other = store.Outbox.MarkWaiting([id], "The portal must pay.");
        var retried = store.Outbox.NoteRetry(store.Outbox.Claim(10), "HTTP 503; retrying");

        Assert.Equal(MessageStatus.Waiting, Assert.Single(first).Status);
        Assert.Empty(again);
        Assert.Equal("The portal must pay.", Assert.Single(other).FailureReason);
        Assert.Equal((MessageStatus.Queued, "HTTP 503; retrying"), (Assert.Single(retried).Status, retried[0].FailureReason));
        Assert.Equal(MessageStatus.Queued, store.Get(Sample.MemberId, id)!.Status);
    }

    [Fact]
    public async Task Depth_CountsWaitingItems_AndTellsWhenTheOldestWasAccepted()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var time = new ManualTimeProvider(Start);
        var store = backend.Messages(time);
        Assert.Equal(new OutboxDepth(0, null), store.Outbox.Depth());

        store.Add([Sample.Message("m1")], "API", "API");
        time.Advance(TimeSpan.FromMinutes(3));
        store.Add([Sample.Message("m2"), Sample.Message("m3")], "API", "API");

        Assert.Equal(new OutboxDepth(3, Start.UtcDateTime), store.Outbox.Depth());
        Assert.Equal(0, store.CountPending(Sample.MemberId, 2));
    }
}

public sealed class OutboxOnLiteDb() : OutboxContract(StorageProvider.LiteDb);

public sealed class OutboxOnPostgreSql() : OutboxContract(StorageProvider.PostgreSql);
