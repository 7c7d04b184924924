using LineBridge.Events;
using LineBridge.Infrastructure;

namespace LineBridge.Storage.Contracts;

/// <summary>What every provider's event inbox (<see cref="IEventInboxStore"/>) must do.</summary>
public abstract class EventInboxContract(StorageProvider provider)
{
    private static readonly DateTime Now = new(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc);

    internal static InboxEvent Event(string memberId, string name, DateTime sentAt, string fingerprint, params (string Key, string Value)[] fields) => new()
    {
        Id = LiteDB.ObjectId.NewObjectId(), MemberId = memberId, Name = name, Fingerprint = fingerprint, SentAt = sentAt, ReceivedAt = sentAt.AddSeconds(1),
        Fields = [.. fields.Select(f => new InboxField { Key = f.Key, Value = f.Value })], State = InboxState.Pending, NextAttemptAt = sentAt,
    };

    [Fact]
    public async Task Events_AreKeptOnce_ByFingerprint_AndReadBackAsStored()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var inbox = backend.EventInbox();
        var e = Event(Sample.MemberId, PortalEventNames.MessageAdd, Now, "F1",
            ("data[MESSAGES][0][message][text]", "Добрый день \u0000 [b]x[/b]"), ("data[CONNECTOR]", "linebridge"));

        Assert.True(inbox.TryAdd(e));
        Assert.False(inbox.TryAdd(Event(Sample.MemberId, PortalEventNames.MessageAdd, Now, "F1")));

        var read = inbox.Get(e.Id)!;
        Assert.Equal((e.MemberId, e.Name, e.Fingerprint, InboxState.Pending, 0, (string?)null), (read.MemberId, read.Name, read.Fingerprint, read.State, read.Attempts, read.Outcome));
        Assert.Equal(Now, read.SentAt.ToUniversalTime());
        Assert.Equal(Now.AddSeconds(1), read.ReceivedAt.ToUniversalTime());
        Assert.Equal(e.Fields.Select(f => (f.Key, f.Value)), read.Fields.Select(f => (f.Key, f.Value)));
        Assert.Equal("Добрый день \u0000 [b]x[/b]", read.ToPortalEvent().Data("MESSAGES", "0", "message", "text"));
        Assert.Single(inbox.ForPortal(Sample.MemberId));
        Assert.Null(inbox.Get(LiteDB.ObjectId.NewObjectId()));
    }

    [Fact]
    public async Task DueEvents_ComeOldestSentFirst_PerPortal_AndLeaveOnceClosed()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var inbox = backend.EventInbox();
        var later = Event(Sample.MemberId, PortalEventNames.MessageUpdate, Now.AddSeconds(5), "F-later");
        var earlier = Event(Sample.MemberId, PortalEventNames.MessageAdd, Now, "F-earlier");
        var notYet = Event(Sample.MemberId, PortalEventNames.MessageDelete, Now.AddSeconds(1), "F-not-yet");
        notYet.NextAttemptAt = Now.AddMinutes(5);
        var other = Event("other-portal", PortalEventNames.LineDelete, Now, "F-other");
        foreach (var e in new[] { later, earlier, notYet, other }) Assert.True(inbox.TryAdd(e));

        Assert.Equal([Sample.MemberId, "other-portal"], inbox.PortalsWithOpenEvents().Order(StringComparer.Ordinal));
        Assert.Equal(3, inbox.CountOpen(Sample.MemberId));
        Assert.Equal([earlier.Id, later.Id], inbox.ClaimDue(Sample.MemberId, Now.AddSeconds(10), 10).Select(e => e.Id));
        Assert.Equal([earlier.Id], inbox.ClaimDue(Sample.MemberId, Now.AddSeconds(10), 1).Select(e => e.Id));

        earlier.State = InboxState.Applied;
        earlier.NextAttemptAt = DateTime.MaxValue;
        earlier.Outcome = "Message 5 is on the portal as the event says.";
        Assert.True(inbox.Update(earlier));
        later.State = InboxState.Confirmed;
        later.Attempts = 2;
        later.NextAttemptAt = Now.AddMinutes(1);
        Assert.True(inbox.Update(later));

        Assert.Equal(2, inbox.CountOpen(Sample.MemberId));
        Assert.Empty(inbox.ClaimDue(Sample.MemberId, Now.AddSeconds(10), 10));
        var applied = inbox.Get(earlier.Id)!;
        Assert.Equal((InboxState.Applied, "Message 5 is on the portal as the event says."), (applied.State, applied.Outcome));
        Assert.True(applied.NextAttemptAt.ToUniversalTime() > Now.AddYears(100), "an applied event is never due again");
        Assert.Equal((InboxState.Confirmed, 2), (inbox.Get(later.Id)!.State, inbox.Get(later.Id)!.Attempts));

        // A landed reply wakes confirmed events waiting for their turn (not pending ones waiting for a retry).
        inbox.WakeWaiting(Sample.MemberId, Now.AddSeconds(10));
        Assert.Equal([later.Id], inbox.ClaimDue(Sample.MemberId, Now.AddSeconds(10), 10).Select(e => e.Id));
    }

    [Fact]
    public async Task Prune_ForgetsOnlyClosedEventsSentBeforeTheCut()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var inbox = backend.EventInbox();
        var oldApplied = Event(Sample.MemberId, PortalEventNames.MessageAdd, Now.AddDays(-2), "F1");
        var oldDropped = Event(Sample.MemberId, PortalEventNames.MessageAdd, Now.AddDays(-2), "F2");
        var oldOpen = Event(Sample.MemberId, PortalEventNames.MessageAdd, Now.AddDays(-2), "F3");
        var newApplied = Event(Sample.MemberId, PortalEventNames.MessageAdd, Now, "F4");
        foreach (var e in new[] { oldApplied, oldDropped, oldOpen, newApplied }) inbox.TryAdd(e);
        inbox.ClaimDue(Sample.MemberId, Now, 10);
        foreach (var (e, state) in new[] { (oldApplied, InboxState.Applied), (oldDropped, InboxState.Dropped), (newApplied, InboxState.Applied) })
        {
            e.State = state;
            Assert.True(inbox.Update(e));
        }

        Assert.Equal(2, inbox.Prune(Now.AddDays(-1)));

        Assert.Equal([oldOpen.Id, newApplied.Id], inbox.ForPortal(Sample.MemberId).Select(e => e.Id).Order());
        Assert.True(inbox.TryAdd(Event(Sample.MemberId, PortalEventNames.MessageAdd, Now, "F1")), "a pruned fingerprint is free again");
    }
}

public sealed class EventInboxOnLiteDb() : EventInboxContract(StorageProvider.LiteDb);

public sealed class EventInboxOnPostgreSql() : EventInboxContract(StorageProvider.PostgreSql);

/// <summary>
/// The shared event inbox with several instances on one PostgreSQL database (each <see cref="StoreBackend.EventInbox"/>
/// call is one instance): a portal's events are confirmed and applied by one instance at a time, another takes them
/// over after the lease, and the one that lost them writes nothing more.
/// </summary>
public sealed class EventInboxLeasesOnPostgreSql
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AnEventReceivedByOneInstance_IsHandledByOneInstanceAtATime_AndPassesOnWhenItsHolderStops()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var time = new ManualTimeProvider(Start);
        var lease = TimeSpan.FromSeconds(30);
        var receiver = backend.EventInbox(time, lease);
        var a = backend.EventInbox(time, lease);
        var b = backend.EventInbox(time, lease);
        var now = Start.UtcDateTime;
        var due = now.AddMinutes(5);
        var add = EventInboxContract.Event(Sample.MemberId, PortalEventNames.MessageAdd, now, "F1");
        var edit = EventInboxContract.Event(Sample.MemberId, PortalEventNames.MessageUpdate, now.AddSeconds(1), "F2");
        var otherPortal = EventInboxContract.Event("other-portal", PortalEventNames.MessageAdd, now, "F3");
        Assert.True(receiver.TryAdd(add));      // received by an instance that is then killed
        Assert.True(receiver.TryAdd(edit));
        Assert.True(receiver.TryAdd(otherPortal));

        var heldByA = a.ClaimDue(Sample.MemberId, due, 10);
        Assert.Equal([add.Id, edit.Id], heldByA.Select(e => e.Id));
        Assert.Empty(b.ClaimDue(Sample.MemberId, due, 10));   // the reply and its edit stay with one instance, in order
        Assert.Single(b.ClaimDue("other-portal", due, 10));    // another portal's events are free

        heldByA[0].State = InboxState.Confirmed;
        Assert.True(a.Update(heldByA[0]));                      // renews the lease
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(b.ClaimDue(Sample.MemberId, due, 10));
        time.Advance(TimeSpan.FromSeconds(11));                 // a stalled past its lease
        var takenByB = b.ClaimDue(Sample.MemberId, due, 10);
        Assert.Equal([add.Id, edit.Id], takenByB.Select(e => e.Id));
        Assert.Equal(InboxState.Confirmed, takenByB[0].State);

        // The late instance writes nothing over the new holder's work, and claims nothing.
        heldByA[0].State = InboxState.Dropped;
        heldByA[0].Outcome = "late";
        Assert.False(a.Update(heldByA[0]));
        Assert.Empty(a.ClaimDue(Sample.MemberId, due, 10));
        Assert.Equal((InboxState.Confirmed, (string?)null), (b.Get(add.Id)!.State, b.Get(add.Id)!.Outcome));

        takenByB[0].State = InboxState.Applied;
        Assert.True(b.Update(takenByB[0]));
        b.Release();                                            // a graceful stop hands over at once
        Assert.Equal([edit.Id], a.ClaimDue(Sample.MemberId, due, 10).Select(e => e.Id));
    }

    [Fact]
    public async Task ThreeInstancesPollingAtOnce_ApplyEveryEventExactlyOnce_InEachPortalsOrder()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var instances = Enumerable.Range(0, 3).Select(_ => backend.EventInbox()).ToList();
        var now = DateTime.UtcNow;
        var portals = new[] { "portal-a", "portal-b", "portal-c", "portal-d" };
        for (var i = 0; i < 200; i++)
        {
            var e = EventInboxContract.Event(portals[i % portals.Length], PortalEventNames.MessageAdd, now.AddMilliseconds(i), $"F{i}", ("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.True(instances[i % 3].TryAdd(e));
        }

        var applied = new System.Collections.Concurrent.ConcurrentQueue<(string Portal, int N, int Instance)>();
        var workers = instances.Select((inbox, n) => Task.Run(() =>
        {
            while (inbox.PortalsWithOpenEvents().Count > 0)
            {
                foreach (var portal in inbox.PortalsWithOpenEvents())
                {
                    foreach (var e in inbox.ClaimDue(portal, DateTime.UtcNow, 7))
                    {
                        e.State = InboxState.Applied;
                        if (!inbox.Update(e)) break;
                        applied.Enqueue((portal, int.Parse(e.Fields[0].Value, System.Globalization.CultureInfo.InvariantCulture), n));
                    }
                }
            }
        })).ToList();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        Assert.Equal(200, applied.Count);
        Assert.Equal(200, applied.Select(a => a.N).Distinct().Count());
        foreach (var portal in portals)
        {
            var order = applied.Where(a => a.Portal == portal).Select(a => a.N).ToList();
            Assert.Equal(order.Order(), order);
        }
    }
}
