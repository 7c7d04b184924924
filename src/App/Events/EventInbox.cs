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

/// <summary>A received event in the durable inbox (LiteDB collection <c>event_inbox</c>).</summary>
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
/// </summary>
public sealed class EventInbox
{
    internal const string Collection = "event_inbox";

    private readonly ILiteCollection<InboxEvent> _events;
    private readonly LiteDatabase _database;

    public EventInbox(LiteDatabase database)
    {
        _database = database;
        _events = database.GetCollection<InboxEvent>(Collection);
        _events.EnsureIndex(e => e.Fingerprint, unique: true);
        _events.EnsureIndex(e => e.NextAttemptAt);
        _events.EnsureIndex(e => e.MemberId);
        _events.EnsureIndex(e => e.State);
    }

    /// <summary>The fingerprint of an event: who, what, when (<c>ts</c>) and its data, in a stable order.</summary>
    public static string Fingerprint(string memberId, string name, long ts, IEnumerable<KeyValuePair<string, string>> data)
    {
        var text = new StringBuilder().Append(memberId).Append('\n').Append(name).Append('\n').Append(ts);
        foreach (var (key, value) in data.OrderBy(f => f.Key, StringComparer.Ordinal)) text.Append('\n').Append(key).Append('=').Append(value);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Stores a received event; false when an event with the same fingerprint is already kept.</summary>
    public bool TryAdd(InboxEvent inboxEvent)
    {
        ArgumentNullException.ThrowIfNull(inboxEvent);
        try
        {
            Storage.LiteDbCollections.Write(_database, () => _events.Insert(inboxEvent));
            return true;
        }
        catch (LiteException ex) when (ex.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            return false;
        }
    }

    /// <summary>Events of a portal not yet applied or dropped.</summary>
    public int CountOpen(string memberId) =>
        _events.Count(e => e.MemberId == memberId && (e.State == InboxState.Pending || e.State == InboxState.Confirmed));

    /// <summary>The portals with open events: each is read on its own, so one portal's flood never hides another's events.</summary>
    public IReadOnlyList<string> PortalsWithOpenEvents() =>
        _events.Query().Where(e => e.State == InboxState.Pending || e.State == InboxState.Confirmed).Select(e => e.MemberId)
            .ToEnumerable().Distinct(StringComparer.Ordinal).ToList();

    /// <summary>One portal's open events due at <paramref name="now"/>, oldest sent first.</summary>
    public IReadOnlyList<InboxEvent> Due(string memberId, DateTime now, int limit) =>
        _events.Find(e => e.MemberId == memberId && (e.State == InboxState.Pending || e.State == InboxState.Confirmed) && e.NextAttemptAt <= now)
            .OrderBy(e => e.SentAt).ThenBy(e => e.Id).Take(limit).ToList();

    public InboxEvent? Get(ObjectId id) => _events.FindById(id);

    /// <summary>Every kept event of a portal (tests and diagnostics).</summary>
    public IReadOnlyList<InboxEvent> ForPortal(string memberId) => _events.Find(e => e.MemberId == memberId).OrderBy(e => e.Id).ToList();

    public void Update(InboxEvent inboxEvent) => Storage.LiteDbCollections.Write(_database, () => _events.Update(inboxEvent));

    /// <summary>Makes a portal's confirmed events waiting for their turn due now (a reply they wait for has landed).</summary>
    public void WakeWaiting(string memberId, DateTime now)
    {
        foreach (var e in _events.Find(e => e.MemberId == memberId && e.State == InboxState.Confirmed && e.NextAttemptAt > now).ToList())
        {
            e.NextAttemptAt = now;
            Storage.LiteDbCollections.Write(_database, () => _events.Update(e));
        }
    }

    /// <summary>Forgets closed events sent before <paramref name="before"/> (their fingerprints are no longer needed: older events are refused anyway).</summary>
    public int Prune(DateTime before) =>
        Storage.LiteDbCollections.Write(_database, () => _events.DeleteMany(e => e.SentAt < before && (e.State == InboxState.Applied || e.State == InboxState.Dropped)));
}

/// <summary>Wakes the <see cref="EventProcessor"/> when an event is received.</summary>
public sealed class EventSignal : Storage.WorkSignal;

/// <summary>
/// Thrown by a handler whose event cannot be applied yet (an edit or delete of a reply that has not arrived): the
/// processor keeps the confirmed event and tries again, until the event is older than <see cref="EventOptions.MaxAge"/>.
/// </summary>
public sealed class EventNotReadyException(string reason) : Exception(reason);
