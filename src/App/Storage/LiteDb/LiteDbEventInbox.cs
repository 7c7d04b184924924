using LineBridge.Events;
using LiteDB;

namespace LineBridge.Storage.LiteDb;

/// <summary>
/// The event inbox in the LiteDB collection <c>event_inbox</c>: one process owns the file, so it holds every portal's
/// events (no leases; <see cref="Update"/> is never fenced). Writes go through the file's write gate.
/// </summary>
internal sealed class LiteDbEventInbox : IEventInboxStore
{
    internal const string Collection = "event_inbox";

    private readonly ILiteCollection<InboxEvent> _events;
    private readonly LiteDatabase _database;

    public LiteDbEventInbox(LiteDatabase database)
    {
        _database = database;
        _events = database.GetCollection<InboxEvent>(Collection);
        LiteDbCollections.Write(database, () =>
        {
            _events.EnsureIndex(e => e.Fingerprint, unique: true);
            _events.EnsureIndex(e => e.NextAttemptAt);
            _events.EnsureIndex(e => e.MemberId);
            _events.EnsureIndex(e => e.State);
        });
    }

    public bool TryAdd(InboxEvent inboxEvent)
    {
        try
        {
            LiteDbCollections.Write(_database, () => _events.Insert(inboxEvent));
            return true;
        }
        catch (LiteException ex) when (ex.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            return false;
        }
    }

    public int CountOpen(string memberId) =>
        _events.Count(e => e.MemberId == memberId && (e.State == InboxState.Pending || e.State == InboxState.Confirmed));

    public IReadOnlyList<string> PortalsWithOpenEvents() =>
        _events.Query().Where(e => e.State == InboxState.Pending || e.State == InboxState.Confirmed).Select(e => e.MemberId)
            .ToEnumerable().Distinct(StringComparer.Ordinal).ToList();

    public IReadOnlyList<InboxEvent> ClaimDue(string memberId, DateTime now, int limit) =>
        _events.Find(e => e.MemberId == memberId && (e.State == InboxState.Pending || e.State == InboxState.Confirmed) && e.NextAttemptAt <= now)
            .OrderBy(e => e.SentAt).ThenBy(e => e.Id).Take(limit).ToList();

    public InboxEvent? Get(ObjectId id) => _events.FindById(id);

    public IReadOnlyList<InboxEvent> ForPortal(string memberId) => _events.Find(e => e.MemberId == memberId).OrderBy(e => e.Id).ToList();

    public bool Update(InboxEvent inboxEvent)
    {
        LiteDbCollections.Write(_database, () => _events.Update(inboxEvent));
        return true;
    }

    public void WakeWaiting(string memberId, DateTime now)
    {
        foreach (var e in _events.Find(e => e.MemberId == memberId && e.State == InboxState.Confirmed && e.NextAttemptAt > now).ToList())
        {
            e.NextAttemptAt = now;
            LiteDbCollections.Write(_database, () => _events.Update(e));
        }
    }

    public int Prune(DateTime before) =>
        LiteDbCollections.Write(_database, () => _events.DeleteMany(e => e.SentAt < before && (e.State == InboxState.Applied || e.State == InboxState.Dropped)));

    public void Release()
    {
        // One process, no leases.
    }
}
