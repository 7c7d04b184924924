using System.Globalization;
using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>
/// Delivers the outbox to the portals through the typed client (which paces to each portal's rate limit and refreshes
/// tokens). Work for the same portal, connector, line and REST method travels in one call's <c>MESSAGES</c>, up to
/// <see cref="MessageOptions.BatchSize"/>. A message's changes go in the order they were accepted: an item waits while
/// an older item of the same message is pending. Transient failures retry with back-off; a send that may have arrived
/// is deleted at the portal before it goes again, because <c>imconnector.send.messages</c> does not de-duplicate.
/// Work that cannot go out now for a reason that mends by itself is not attempted and not failed: it waits, shown as
/// <see cref="MessageStatus.Waiting"/> with the reason, while its line is not connected, while the app is uninstalled
/// from the portal, or while the portal must pay (then one call every <see cref="MessageOptions.PaymentProbeInterval"/>
/// finds out whether it has). It goes out once the reason is gone; nothing is dropped.
/// </summary>
public sealed partial class OutboxDispatcher(
    MessageStore store,
    LineConnections lines,
    PortalStore portals,
    Bitrix24ClientFactory clients,
    OutboxSignal signal,
    MessageUpdates updates,
    IOptions<MessageOptions> options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger,
    Observability.LineBridgeMetrics? metrics = null,
    Bitrix24OperatingBudget? operatingBudget = null) : BackgroundService
{
    /// <summary>
    /// The oldest outbox items a round reads. When they fill it (a big backlog, usually of a few saturated portals),
    /// each other installed portal's oldest items are read as well, so no portal waits behind another's backlog.
    /// </summary>
    internal int MaxItemsPerRound { get; set; } = 20_000;

    /// <summary>Items read per other portal when the oldest window is full.</summary>
    private const int ItemsPerQuietPortal = 2_000;

    /// <summary>How long a portal all of whose work waits for its operating budget is left out of the rounds, at most.</summary>
    private static readonly TimeSpan PacedRecheck = TimeSpan.FromSeconds(1);

    // Portals left out of the rounds until the time given (see PacedRecheck).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTime> _paced = new();

    /// <summary>A pause for the operating budget longer than this is shown on the messages as Waiting, with the time.</summary>
    private static readonly TimeSpan ShowPacingAfter = TimeSpan.FromSeconds(5);

    // When each paying-required portal may be probed again (in memory: after a restart the first round probes).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTime> _paymentProbeAt = new();

    private enum Method
    {
        Send,
        Update,
        Delete,
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting; the dispatcher's first store access must not delay it.
        await Task.Yield();
        var recovered = store.Outbox.RecoverInFlight();
        if (recovered > 0)
        {
            logger.LogWarning("{Count} sends were out with the portal when the app stopped; they are deleted at the portal before they go again", recovered);
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    wait = await RoundAsync(waitForPortals: false, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "The outbox dispatcher failed a round; it tries again shortly");
                    wait = options.Value.PollInterval;
                }
                if (wait > TimeSpan.Zero) await signal.WaitAsync(wait, stoppingToken);
            }
        }
        finally
        {
            // Stopping: let the portals' deliveries end (they see the cancellation) so no store write is cut off.
            try { await Task.WhenAll(_busy.Values); } catch (Exception) { /* each delivery logged its own failure */ }
        }
        // Other instances on a shared store take this one's claimed work at once instead of after the lease.
        try
        {
            store.Outbox.Release();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "The outbox could not release its claimed work; other instances take it after the lease");
        }
    }

    /// <summary>
    /// Delivers everything due now and waits until it is done (tests and tools call this); returns how long to wait
    /// before the next round. The background service runs the same rounds without waiting for slow portals.
    /// </summary>
    public Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken = default) =>
        RoundAsync(waitForPortals: true, cancellationToken);

    // Portals whose delivery is under way (background rounds only). A round leaves their items alone, so one slow or
    // throttled portal never holds up another's: each portal's delivery is its own task, and a round starts the
    // portals that are idle and returns.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _busy = new();

    /// <summary>Whether a background round's delivery to the portal is under way (tests wait on it).</summary>
    internal bool IsDelivering(string memberId) => _busy.ContainsKey(memberId);

    // The store's writes are synchronous: each one blocks a thread-pool thread until LiteDB's one writer (or PostgreSQL)
    // has it on the disk. A portal's delivery writes before and after its call, so with hundreds of portals the
    // deliveries could block every thread the pool has, and the HTTP calls of other portals would wait for one. The
    // turn bounds the blocked ones below the floor the storage sets (StorageThreads); the rest wait here without a
    // thread. Several at once, not one, because concurrent writes share one fsync (group commit).
    private readonly SemaphoreSlim _storeTurn = new(Storage.StorageThreads.MaxBlockedWriters, Storage.StorageThreads.MaxBlockedWriters);

    private async Task<IDisposable> StoreTurnAsync(CancellationToken cancellationToken)
    {
        await _storeTurn.WaitAsync(cancellationToken);
        return new Turn(_storeTurn);
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) turn.Release();
        }
    }

    /// <summary>One unit of work: the item that goes out, and older edits of the same message that it makes pointless.</summary>
    /// <param name="Carrier">The item whose text goes to the portal.</param>
    /// <param name="Superseded">
    /// Queued edits of the same message older than <paramref name="Carrier"/> (itself an edit), in order: the portal
    /// only ever shows the newest text, so they never go out on their own and are recorded as superseded by it.
    /// </param>
    private sealed record Work(OutboxItem Carrier, IReadOnlyList<OutboxItem> Superseded)
    {
        public IEnumerable<OutboxItem> All => Superseded.Append(Carrier);
    }

    private async Task<TimeSpan> RoundAsync(bool waitForPortals, CancellationToken cancellationToken)
    {
        // The portals whose delivery is under way as the outbox is read. What the read says of their items is out of
        // date as soon as one of their calls ends (a send delivered, or put back to be deleted first), and one may end
        // while this round reads: so the round leaves them alone even when their delivery is over by the time it looks.
        // Acting on such a read sent a delivered send again (issue 15's soak: copies at the portal).
        var delivering = _busy.Keys.ToHashSet();
        var now = time.GetUtcNow().UtcDateTime;
        // Neither read nor held: portals being delivered, and portals all of whose work waited for the operating
        // budget in an earlier round, until it frees or a recheck is due. A saturated portal's backlog is thus read
        // about once a second, not on every round that a quiet portal's message starts (issue 15's many-portals bench:
        // re-reading and re-leasing 20,000 paced items made every round, and so every quiet portal's message, wait).
        var due = new List<string>();
        foreach (var (memberId, until) in _paced)
        {
            if (until <= now && _paced.TryRemove(memberId, out _)) due.Add(memberId);
        }
        if (!waitForPortals)
        {
            // A recheck reads the portal's whole backlog (thousands of items, and shows the long waits): in a task of
            // its own, like a delivery, so the round and the quiet portals' messages it starts never wait for it
            // (on PostgreSQL a recheck of 10 saturated portals took 1-1.6 s, every second).
            foreach (var memberId in due.Where(m => !delivering.Contains(m))) StartPortal(memberId, () => FollowUpAsync(memberId, cancellationToken), cancellationToken);
        }
        var except = delivering.Union(_paced.Keys).Union(waitForPortals ? [] : due).ToList();
        var pending = store.Outbox.Claim(MaxItemsPerRound, except);
        if (pending.Count >= MaxItemsPerRound)
        {
            var seen = pending.Select(i => i.MemberId).Concat(except).ToHashSet();
            var more = new List<OutboxItem>(pending);
            foreach (var portal in portals.All())
            {
                if (seen.Contains(portal.MemberId)) continue;
                more.AddRange(store.Outbox.ClaimOf(portal.MemberId, ItemsPerQuietPortal));
            }
            pending = more;
        }
        return (await DispatchAsync(pending, delivering, now, waitForPortals, cancellationToken)).Wait;
    }

    /// <summary>
    /// Reads one portal's work (after a pause for its operating budget, or after its delivery) and delivers what is
    /// due, again and again while its calls go out. The portal's task, not the round, reads its backlog: a saturated
    /// portal's thousands of items are then read by it alone, and the round stays quick for the other portals.
    /// </summary>
    private async Task FollowUpAsync(string memberId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var pending = store.Outbox.ClaimOf(memberId, MaxItemsPerRound);
            var (_, delivered) = await DispatchAsync(pending, [], time.GetUtcNow().UtcDateTime, waitForPortals: true, cancellationToken);
            // Nothing went out (nothing due, or all of it waits): the next round or recheck takes it from here.
            if (!delivered) return;
        }
    }

    /// <summary>
    /// Decides what of the claimed work goes now (gates, order, coalescing, the operating budget), shows what waits and
    /// why, and starts (or, with <paramref name="waitForPortals"/>, makes) each portal's delivery. Returns how long to
    /// wait before the next round, and whether a delivery went out (with <paramref name="waitForPortals"/>: a call did).
    /// </summary>
    private async Task<(TimeSpan Wait, bool Delivered)> DispatchAsync(
        IReadOnlyList<OutboxItem> pending, HashSet<string> delivering, DateTime now, bool waitForPortals, CancellationToken cancellationToken)
    {
        if (pending.Count == 0) return (IdleAfterPacing(now), false);

        // Each message's pending items in the order they were accepted.
        var byMessage = new Dictionary<ObjectId, List<OutboxItem>>();
        foreach (var item in pending)
        {
            if (delivering.Contains(item.MemberId)) continue;
            if (!byMessage.TryGetValue(item.MessageId, out var list)) byMessage[item.MessageId] = list = [];
            list.Add(item);
        }
        RecoverUnknownOutcomes(byMessage.Values.SelectMany(l => l), now);

        var ready = new List<Work>();
        // Per portal: the earliest end of a pacing pause its work met, and whether any of its work was ready.
        var pacedUntil = new Dictionary<string, DateTime>();
        var readyPortals = new HashSet<string>();
        var waiting = new Dictionary<string, List<OutboxItem>>();
        var gone = new List<OutboxCompletion>();
        var reasons = new Dictionary<(string MemberId, int Line), Gate>();
        var nextDue = DateTime.MaxValue;
        foreach (var items in byMessage.Values)
        {
            // Only the oldest item of a message may go; the rest wait for it (an edit never overtakes its send).
            var item = items[0];
            var gate = GateOf(item, now, reasons);
            if (gate.Kind == GateKind.Closed)
            {
                if (!waiting.TryGetValue(gate.Reason!, out var list)) waiting[gate.Reason!] = list = [];
                list.Add(item);
                continue;
            }
            if (gate.Kind == GateKind.Gone)
            {
                gone.Add(new OutboxCompletion(item, false, gate.Reason!));
                continue;
            }
            var due = item.NextAttemptAt.ToUniversalTime();
            if (due > now)
            {
                if (due < nextDue) nextDue = due;
                continue;
            }
            var work = Coalesce(items);
            // The portal's operating budget for this method is spent: the work waits, untouched, until it frees.
            var paced = PacedUntil(work.Carrier.MemberId, MethodOf(work.Carrier));
            if (paced > now)
            {
                if (paced < nextDue) nextDue = paced;
                if (!pacedUntil.TryGetValue(item.MemberId, out var earliest) || paced < earliest) pacedUntil[item.MemberId] = paced;
                // A pause of a moment is pacing, not waiting: it stays Queued (and nothing is written for it).
                if (paced - now < ShowPacingAfter) continue;
                var reason = WaitReasons.OperatingBudget(MethodName(MethodOf(work.Carrier)), paced);
                if (!waiting.TryGetValue(reason, out var list)) waiting[reason] = list = [];
                list.Add(item);
                continue;
            }
            ready.Add(work);
            readyPortals.Add(item.MemberId);
        }
        foreach (var (memberId, until) in pacedUntil)
        {
            if (readyPortals.Contains(memberId)) continue;
            // New work for it (an edit, when only its sends are paced) waits at most the recheck.
            var recheck = now + PacedRecheck;
            _paced[memberId] = until < recheck ? until : recheck;
        }
        foreach (var (reason, items) in waiting) ShowWaiting(items, reason);
        foreach (var portal in gone.GroupBy(c => c.Item.MemberId)) Finish(portal.Key, portal.ToList());
        if (_paced.Count > 0)
        {
            var recheckAt = _paced.Values.Min();
            if (recheckAt < nextDue) nextDue = recheckAt;
        }
        var untilDue = nextDue - now;
        var idle = untilDue < options.Value.PollInterval ? untilDue : options.Value.PollInterval;
        if (ready.Count == 0) return (idle, false);

        var started = new List<Task<bool>>();
        foreach (var portal in ready.GroupBy(w => w.Carrier.MemberId))
        {
            var work = portal.ToList();
            var memberId = portal.Key;
            if (waitForPortals)
            {
                started.Add(DeliverPortalAsync(work, cancellationToken));
                continue;
            }
            StartPortal(memberId, async () =>
            {
                // Its next work is read by its own task once this delivery is over (see FollowUpAsync).
                if (await DeliverPortalAsync(work, cancellationToken)) await FollowUpAsync(memberId, cancellationToken);
            }, cancellationToken);
        }
        if (!waitForPortals) return (idle, true);
        return (TimeSpan.Zero, (await Task.WhenAll(started)).Any(went => went));
    }

    /// <summary>
    /// Runs a portal's delivery (or recheck) as a task of its own, marked busy so that rounds leave the portal alone
    /// until it ends; then the next round starts at once, for its next work and anything that arrived meanwhile.
    /// </summary>
    private void StartPortal(string memberId, Func<Task> delivery, CancellationToken cancellationToken)
    {
        // Marked busy before it starts: a delivery that ends at once must not find itself not yet registered.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _busy[memberId] = done.Task;
        _ = Task.Run(async () =>
        {
            try
            {
                await delivery();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Delivery to portal {MemberId} failed a round; it tries again shortly", memberId);
            }
            finally
            {
                _busy.TryRemove(memberId, out _);
                done.SetResult();
                signal.Notify();
            }
        }, CancellationToken.None);
    }

    /// <summary>The wait before the next round when nothing was read: the poll interval, or less when a left-out portal is due.</summary>
    private TimeSpan IdleAfterPacing(DateTime now)
    {
        var poll = options.Value.PollInterval;
        if (_paced.Count == 0) return poll;
        var untilRecheck = _paced.Values.Min() - now;
        return untilRecheck < poll ? untilRecheck : poll;
    }

    /// <summary>
    /// A message's first pending item, and when it and the items after it are edits, the newest of those edits in
    /// its place: the portal keeps only the last text, so one update carries it and the older ones are superseded.
    /// </summary>
    private static Work Coalesce(List<OutboxItem> items)
    {
        if (items[0].Kind != ChangeKind.Edit) return new Work(items[0], []);
        var last = 0;
        while (last + 1 < items.Count && items[last + 1].Kind == ChangeKind.Edit) last++;
        return new Work(items[last], items.GetRange(0, last));
    }

    /// <summary>
    /// A send still marked out with the portal when no call of this dispatcher has it out: the call ended without its
    /// outcome being recorded (the store failed to write the answer, the delivery failed after the call). The portal
    /// may have it, so it goes again only after a delete of its id, as after a restart.
    /// </summary>
    private void RecoverUnknownOutcomes(IEnumerable<OutboxItem> items, DateTime now)
    {
        var unknown = items.Where(i => i.InFlight && i.Kind == ChangeKind.Send).ToList();
        if (unknown.Count == 0) return;
        store.Outbox.Reschedule(unknown, $"{Bitrix24Errors.NetworkError}: the outcome of the send was not recorded", now, deleteFirst: true);
        foreach (var item in unknown)
        {
            item.InFlight = false;
            item.DeleteFirst = true;
            item.Attempts++;
            item.NextAttemptAt = now;
        }
        logger.LogWarning("{Count} sends were out with the portal without a recorded outcome; they are deleted at the portal before they go again", unknown.Count);
    }

    private enum GateKind
    {
        Open,
        /// <summary>Cannot go out now; waits with the reason.</summary>
        Closed,
        /// <summary>Can never go out (the line was deleted): fails with the reason.</summary>
        Gone,
    }

    private readonly record struct Gate(GateKind Kind, string? Reason = null);

    /// <summary>Whether an item may go to its portal now, decided once per portal and line each round.</summary>
    private Gate GateOf(OutboxItem item, DateTime now, Dictionary<(string, int), Gate> known)
    {
        if (known.TryGetValue((item.MemberId, item.Line), out var gate)) return gate;
        gate = Decide(item.MemberId, item.Line, now);
        known[(item.MemberId, item.Line)] = gate;
        return gate;
    }

    private Gate Decide(string memberId, int line, DateTime now)
    {
        var portal = portals.Find(memberId);
        if (portal?.Status == PortalStatus.Uninstalled) return new(GateKind.Closed, WaitReasons.AppUninstalled(line));
        if (portal?.Status == PortalStatus.PaymentRequired &&
            _paymentProbeAt.TryGetValue(memberId, out var probeAt) && now < probeAt)
        {
            return new(GateKind.Closed, WaitReasons.PaymentRequired);
        }
        return lines.GetState(memberId, line) switch
        {
            LineConnectionState.Connected => new(GateKind.Open),
            LineConnectionState.Deleted => new(GateKind.Gone, WaitReasons.LineDeleted(line)),
            _ => new(GateKind.Closed, WaitReasons.LineDisconnected(line)),
        };
    }

    /// <summary>Shows work that waits with its reason; only messages whose status or reason changes are written.</summary>
    private void ShowWaiting(IReadOnlyList<OutboxItem> items, string reason)
    {
        var changed = store.Outbox.MarkWaiting(items.Select(i => i.MessageId).ToList(), reason);
        if (changed.Count == 0) return;
        foreach (var portal in changed.GroupBy(r => r.MemberId)) updates.Publish(portal.Key, portal.Select(MessageService.ToSentMessage));
        logger.LogInformation("{Count} messages wait: {Reason}", changed.Count, reason);
    }
}
