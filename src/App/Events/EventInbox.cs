using System.Security.Cryptography;
using System.Text;
using LiteDB;

namespace LineBridge.Events;

/// <summary>Where a received event stands.</summary>
public enum InboxState
{
    /// <summary>Received, not yet confirmed with the portal.</summary>
    Pending,
    /// <summary>Confirmed by the portal; waiting to be applied (e.g. an edit whose reply has not arrived yet).</summary>
    Confirmed,
    /// <summary>Confirmed and applied.</summary>
    Applied,
    /// <summary>Not confirmed by the portal (forged, stale or superseded), or given up; see <see cref="InboxEvent.Outcome"/>.</summary>
    Dropped,
}

/// <summary>One form field of an event (<c>data[...]</c> keys as posted; no <c>auth[...]</c>).</summary>
public sealed class InboxField
{
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
}

/// <summary>A received event in the durable inbox (LiteDB collection or PostgreSQL table <c>event_inbox</c>).</summary>
public sealed class InboxEvent
{
    public ObjectId Id { get; set; } = ObjectId.Empty;
    public string MemberId { get; set; } = "";
    /// <summary>Upper-case event name.</summary>
    public string Name { get; set; } = "";
    /// <summary>SHA-256 of portal, name, <c>ts</c> and data: equal for exact repeats (unique).</summary>
    public string Fingerprint { get; set; } = "";
    /// <summary>When the portal's queue sent it (<c>ts</c>), UTC.</summary>
    public DateTime SentAt { get; set; }
    public DateTime ReceivedAt { get; set; }
    public List<InboxField> Fields { get; set; } = [];
    public InboxState State { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public string? Outcome { get; set; }

    /// <summary>The event as handlers see it.</summary>
    public PortalEvent ToPortalEvent() => new(Name, MemberId,
        Fields.GroupBy(f => f.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase),
        new DateTimeOffset(DateTime.SpecifyKind(ReceivedAt, DateTimeKind.Utc)));
}

/// <summary>
/// The durable inbox of received events: the endpoint writes each event here and answers at once; the
/// <see cref="EventProcessor"/> confirms it with the portal and applies it. Exact repeats collide on the fingerprint.
/// The records live behind <see cref="IEventInboxStore"/> (LiteDB: the instance's file; PostgreSQL: the table
/// <c>event_inbox</c> shared by every instance, a portal's open events handled by one instance at a time).
/// </summary>
public sealed class EventInbox(IEventInboxStore store)
{
    /// <summary>The fingerprint of an event: who, what, when (<c>ts</c>) and its data, in a stable order.</summary>
    public static string Fingerprint(string memberId, string name, long ts, IEnumerable<KeyValuePair<string, string>> data)
    {
        var text = new StringBuilder().Append(memberId).Append('\n').Append(name).Append('\n').Append(ts);
        foreach (var (key, value) in data.OrderBy(f => f.Key, StringComparer.Ordinal)) text.Append('\n').Append(key).Append('=').Append(value);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <inheritdoc cref="IEventInboxStore.TryAdd"/>
    public bool TryAdd(InboxEvent inboxEvent)
    {
        ArgumentNullException.ThrowIfNull(inboxEvent);
        if (inboxEvent.Id == ObjectId.Empty) inboxEvent.Id = ObjectId.NewObjectId();
        return store.TryAdd(inboxEvent);
    }

    /// <inheritdoc cref="IEventInboxStore.CountOpen"/>
    public int CountOpen(string memberId) => store.CountOpen(memberId);

    /// <inheritdoc cref="IEventInboxStore.PortalsWithOpenEvents"/>
    public IReadOnlyList<string> PortalsWithOpenEvents() => store.PortalsWithOpenEvents();

    /// <inheritdoc cref="IEventInboxStore.ClaimDue"/>
    public IReadOnlyList<InboxEvent> ClaimDue(string memberId, DateTime now, int limit) => store.ClaimDue(memberId, now, limit);

    /// <inheritdoc cref="IEventInboxStore.Get"/>
    public InboxEvent? Get(ObjectId id) => store.Get(id);

    /// <inheritdoc cref="IEventInboxStore.ForPortal"/>
    public IReadOnlyList<InboxEvent> ForPortal(string memberId) => store.ForPortal(memberId);

    /// <inheritdoc cref="IEventInboxStore.Update"/>
    public bool Update(InboxEvent inboxEvent) => store.Update(inboxEvent);

    /// <inheritdoc cref="IEventInboxStore.WakeWaiting"/>
    public void WakeWaiting(string memberId, DateTime now) => store.WakeWaiting(memberId, now);

    /// <inheritdoc cref="IEventInboxStore.Prune"/>
    public int Prune(DateTime before) => store.Prune(before);

    /// <inheritdoc cref="IEventInboxStore.Release"/>
    public void Release() => store.Release();
}

/// <summary>
/// The records of the event inbox, one implementation per storage provider (<c>Storage/LiteDb</c>,
/// <c>Storage/PostgreSql</c>), one contract test suite for both (<c>EventInboxContract</c>).
/// With several instances on one database, a portal's open events are held by one instance at a time (a lease taken
/// by <see cref="ClaimDue"/>): that instance alone confirms and applies them, oldest first, so related events (a reply
/// and its edit) are never applied side by side or out of order, and an instance that stops leaves them to another
/// once its lease lapses. Every write-back is fenced by the lease (<see cref="Update"/>).
/// </summary>
public interface IEventInboxStore
{
    /// <summary>Stores a received event (its <see cref="InboxEvent.Id"/> set); false when an event with the same fingerprint is already kept.</summary>
    bool TryAdd(InboxEvent inboxEvent);

    /// <summary>Events of a portal not yet applied or dropped.</summary>
    int CountOpen(string memberId);

    /// <summary>The portals with open events: each is read on its own, so one portal's flood never hides another's events.</summary>
    IReadOnlyList<string> PortalsWithOpenEvents();

    /// <summary>
    /// One portal's open events due at <paramref name="now"/> (UTC), oldest sent first, at most <paramref name="limit"/>,
    /// for this instance to confirm and apply: takes or renews this instance's lease on the portal's events. Empty
    /// while another instance holds them (its lease has not lapsed).
    /// </summary>
    IReadOnlyList<InboxEvent> ClaimDue(string memberId, DateTime now, int limit);

    /// <summary>The event with this id, or null.</summary>
    InboxEvent? Get(ObjectId id);

    /// <summary>Every kept event of a portal, oldest received first (tests and diagnostics).</summary>
    IReadOnlyList<InboxEvent> ForPortal(string memberId);

    /// <summary>
    /// Writes an event's state, attempts, next attempt and outcome, and renews the lease on its portal's events.
    /// False, and nothing written, when this instance no longer holds them (it stalled past its lease and another
    /// instance took over): the caller stops working on that portal.
    /// </summary>
    bool Update(InboxEvent inboxEvent);

    /// <summary>Makes a portal's confirmed events waiting for their turn due now (a reply they wait for has landed).</summary>
    void WakeWaiting(string memberId, DateTime now);

    /// <summary>Forgets closed events sent before <paramref name="before"/> (their fingerprints are no longer needed: older events are refused anyway); returns how many.</summary>
    int Prune(DateTime before);

    /// <summary>Gives up this instance's leases at a graceful stop, so another instance takes over at once.</summary>
    void Release();
}

/// <summary>Wakes the <see cref="EventProcessor"/> when an event is received.</summary>
public sealed class EventSignal : Storage.WorkSignal;

/// <summary>
/// Thrown by a handler whose event cannot be applied yet (an edit or delete of a reply that has not arrived): the
/// processor keeps the confirmed event and tries again, until the event is older than <see cref="EventOptions.MaxAge"/>.
/// </summary>
public sealed class EventNotReadyException(string reason) : Exception(reason);
