using System.Collections.Concurrent;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;

namespace LineBridge.Storage.Contracts;

/// <summary>
/// The shared outbox with several instances on one PostgreSQL database (each <see cref="StoreBackend.Messages"/>
/// call is one instance): every item is held by one instance at a time, a stopped holder's work passes to another
/// after the lease, and a message's changes still go in order.
/// </summary>
public sealed class OutboxLeasesOnPostgreSql
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ThreeInstancesDrainingAtOnce_DeliverEveryItemExactlyOnce()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var instances = Enumerable.Range(0, 3).Select(_ => backend.Messages()).ToList();
        var ids = new List<LiteDB.ObjectId>();
        for (var i = 0; i < 300; i += 50)
        {
            ids.AddRange(instances[i % 3].Add(Enumerable.Range(i, 50).Select(n => Sample.Message($"m{n}", $"text {n}")).ToList(), "API", "API")
                .Select(a => a.Record.Id));
        }
        // Half the messages also have an edit queued behind their send.
        foreach (var id in ids.Where((_, n) => n % 2 == 0)) instances[0].Change(Sample.MemberId, id, ChangeKind.Edit, null, "edited", "API", "API");

        // Claims made side by side take disjoint items.
        var firsts = instances.Select(store => store.Outbox.Claim(25)).ToList();
        Assert.All(firsts, Assert.NotEmpty);
        Assert.Equal(firsts.Sum(f => f.Count), firsts.SelectMany(f => f).Select(i => i.Id).Distinct().Count());

        var delivered = new ConcurrentBag<(int Instance, long Item, LiteDB.ObjectId Message, ChangeKind Kind)>();
        var order = new ConcurrentDictionary<LiteDB.ObjectId, ConcurrentQueue<ChangeKind>>();
        var workers = instances.Select((store, n) => Task.Run(() =>
        {
            while (store.Outbox.HasPendingWork())
            {
                // The dispatcher's rule: only the first claimed item of a message goes this round.
                var heads = store.Outbox.Claim(25).GroupBy(i => i.MessageId).Select(g => g.First()).ToList();
                foreach (var item in heads)
                {
                    delivered.Add((n, item.Id, item.MessageId, item.Kind));
                    order.GetOrAdd(item.MessageId, _ => new()).Enqueue(item.Kind);
                }
                store.Outbox.Complete(heads.Select(i => new OutboxCompletion(i, true, "SUCCESS")).ToList());
            }
        })).ToList();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        Assert.Equal(450, delivered.Count);
        Assert.Equal(450, delivered.Select(d => d.Item).Distinct().Count());
        Assert.All(order, o => Assert.Equal(ChangeKind.Send, o.Value.First()));
        Assert.All(ids, id => Assert.Equal(MessageStatus.Sent, instances[2].Get(Sample.MemberId, id)!.Status));
        Assert.Equal("edited", instances[1].Get(Sample.MemberId, ids[0])!.PortalText);
    }

    [Fact]
    public async Task AnInstanceStoppedMidCall_LeavesItsSendToAnotherAfterTheLease_WhichDeletesItAtThePortalFirst()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var time = new ManualTimeProvider(Start);
        var lease = TimeSpan.FromSeconds(30);
        var stopped = backend.Messages(time, lease);
        var survivor = backend.Messages(time, lease);
        var id = stopped.Add([Sample.Message("m1", "hello")], "API", "API")[0].Record.Id;
        var lost = stopped.Outbox.Claim(10);
        stopped.Outbox.MarkInFlight(lost);   // the call is out with the portal, and the instance is killed

        Assert.Empty(survivor.Outbox.Claim(10));   // still within the lease
        time.Advance(lease + TimeSpan.FromSeconds(1));
        var taken = Assert.Single(survivor.Outbox.Claim(10));

        Assert.Equal(lost[0].Id, taken.Id);
        Assert.True(taken.DeleteFirst, "A send that may have reached the portal is deleted there before it goes again.");
        Assert.False(taken.InFlight);
        // The stopped instance's late steps change nothing: the item is no longer its own.
        Assert.Empty(stopped.Outbox.MarkInFlight(lost));
        Assert.Empty(stopped.Outbox.Complete([new OutboxCompletion(lost[0], false, "HTTP 500")]));
        stopped.Outbox.Reschedule(lost, "late", Start.UtcDateTime.AddHours(1), deleteFirst: false);
        Assert.Equal(MessageStatus.Queued, survivor.Get(Sample.MemberId, id)!.Status);

        survivor.Outbox.ClearDeleteFirst([taken]);
        var again = Assert.Single(survivor.Outbox.Claim(10));
        Assert.Equal((0, false), (again.Attempts, again.DeleteFirst));
        Assert.Equal(MessageStatus.Sent, Assert.Single(survivor.Outbox.Complete([new OutboxCompletion(again, true, "SUCCESS")])).Status);
        Assert.False(survivor.Outbox.HasPendingWork());
    }

    [Fact]
    public async Task AMessagesEditIsNotClaimedByAnotherInstanceWhileItsSendIsHeld_AndReleaseHandsWorkOverAtOnce()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var a = backend.Messages();
        var b = backend.Messages();
        var m1 = a.Add([Sample.Message("m1", "one")], "API", "API")[0].Record.Id;
        a.Change(Sample.MemberId, m1, ChangeKind.Edit, null, "two", "API", "API");
        var m2 = a.Add([Sample.Message("m2", "other")], "API", "API")[0].Record.Id;

        var heldByA = a.Outbox.Claim(10);
        Assert.Equal([(m1, ChangeKind.Send), (m2, ChangeKind.Send)], heldByA.Select(i => (i.MessageId, i.Kind)));
        Assert.Empty(b.Outbox.Claim(10));   // m1's edit waits for its send, wherever that is held

        a.Outbox.Complete([new OutboxCompletion(heldByA[0], true, "SUCCESS")]);
        var edit = Assert.Single(b.Outbox.Claim(10));   // m2's send is still A's
        Assert.Equal((m1, ChangeKind.Edit), (edit.MessageId, edit.Kind));

        a.Outbox.Release();
        Assert.Equal([m2], b.Outbox.Claim(10).Where(i => i.Kind == ChangeKind.Send).Select(i => i.MessageId));
    }
}

/// <summary>Operator reply deliveries with several instances: one instance at a time serves a portal's deliveries.</summary>
public sealed class ReplyLeasesOnPostgreSql
{
    [Fact]
    public async Task APortalsReplyDeliveries_GoToOneInstanceAtATime_AndPassOnAfterTheLeaseOrARelease()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var lease = TimeSpan.FromSeconds(30);
        var a = backend.Messages(time, lease);
        var b = backend.Messages(time, lease);
        a.AddReply(Sample.MemberId, "linebridge", new Replies.ReplyEvent
        {
            Change = Replies.ReplyChange.Created, Line = 1, ImChatId = "7", ImMessageId = "901", ChatId = "chat-1", Text = "hi",
        }, "Operator", r => new Replies.ReplyDelivery
        {
            EventId = "e1", EventType = Replies.WebhookEventTypes.MessageCreated, MemberId = r.MemberId, Connector = r.Connector,
            Line = r.Line, MessageId = r.Id, Version = 1, Body = "{}",
        });

        Assert.Single(a.LoadDeliveries(Sample.MemberId, 10));
        Assert.Empty(b.LoadDeliveries(Sample.MemberId, 10));
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Single(a.LoadDeliveries(Sample.MemberId, 10));   // renewed
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(b.LoadDeliveries(Sample.MemberId, 10));
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Single(b.LoadDeliveries(Sample.MemberId, 10));   // a stopped renewing
        Assert.Empty(a.LoadDeliveries(Sample.MemberId, 10));

        b.Outbox.Release();
        Assert.Single(a.LoadDeliveries(Sample.MemberId, 10));
    }

    [Fact]
    public async Task AnInstanceWhoseLeaseWasTakenOver_RecordsNoOutcome_OverTheNewHoldersWork()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var lease = TimeSpan.FromSeconds(30);
        var a = backend.Messages(time, lease);
        var b = backend.Messages(time, lease);
        var id = a.AddReply(Sample.MemberId, "linebridge", new Replies.ReplyEvent
        {
            Change = Replies.ReplyChange.Created, Line = 1, ImChatId = "7", ImMessageId = "901", ChatId = "chat-1", Text = "hi",
        }, "Operator", r => new Replies.ReplyDelivery
        {
            EventId = "e1", EventType = Replies.WebhookEventTypes.MessageCreated, MemberId = r.MemberId, Connector = r.Connector,
            Line = r.Line, MessageId = r.Id, Version = 1, Body = "{}",
        }).Record.Id;

        var stale = Assert.Single(a.LoadDeliveries(Sample.MemberId, 10));
        // a's webhook call hangs past its lease; b takes the portal over and the webhook refuses b's attempt.
        time.Advance(lease + TimeSpan.FromSeconds(1));
        var current = Assert.Single(b.LoadDeliveries(Sample.MemberId, 10));
        Assert.Equal(MessageStatus.Failed, b.FailDelivery(current, "HTTP 503", time.GetUtcNow().UtcDateTime.AddMinutes(1))!.Status);

        // a's late outcomes change nothing: neither the delivery (stage, attempts) nor the message's status.
        Assert.Throws<DeliveriesHandedOverException>(() => a.CompleteWebhook(stale, "HTTP 200", "ext-late"));
        Assert.Throws<DeliveriesHandedOverException>(() => a.FailDelivery(stale, "late", null));
        Assert.Throws<DeliveriesHandedOverException>(() => a.WaitForAddress(stale, "late", time.GetUtcNow().UtcDateTime));
        Assert.Throws<DeliveriesHandedOverException>(() => a.CompletePortalStatus(stale));
        var kept = b.GetDelivery(current.Id)!;
        Assert.Equal((Replies.DeliveryStage.Webhook, 1, "HTTP 503", (string?)null), (kept.Stage, kept.Attempts, kept.LastError, kept.ExternalId));
        Assert.Equal((MessageStatus.Failed, "HTTP 503"), (b.Get(Sample.MemberId, id)!.Status, b.Get(Sample.MemberId, id)!.FailureReason));
        Assert.Equal(Replies.DeliveryStage.Webhook, stale.Stage);

        // The holder's outcomes renew its lease: it keeps the portal past the first lease while it works.
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.NotNull(b.CompleteWebhook(kept, "HTTP 200", "ext-1"));
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(a.LoadDeliveries(Sample.MemberId, 10));
        b.CompletePortalStatus(b.GetDelivery(current.Id)!);
        Assert.Equal(MessageStatus.Sent, b.Get(Sample.MemberId, id)!.Status);
    }
}
