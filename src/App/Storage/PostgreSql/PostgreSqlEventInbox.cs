using JsonSerializer = System.Text.Json.JsonSerializer;
using Dapper;
using LineBridge.Events;
using LiteDB;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// The event inbox in the table <c>event_inbox</c>, shared by every instance on the database: an event received by an
/// instance that then stops is still there for the others. A portal's open events are held by one instance at a time,
/// by a lease row in <c>event_portal_leases</c> that <see cref="ClaimDue"/> takes (when free or lapsed) or renews:
/// that instance alone confirms and applies them, oldest sent first, so two instances never apply related events (a
/// reply and its edit) side by side or out of order. Every write-back renews the lease in the same statement and writes
/// nothing when it is no longer this instance's (fencing): the lease row's lock makes a takeover wait for the write,
/// and the write see a takeover that committed first.
/// </summary>
internal sealed class PostgreSqlEventInbox : IEventInboxStore
{
    private const string Columns = """
        id AS Id, member_id AS MemberId, name AS Name, fingerprint AS Fingerprint, sent_at AS SentAt, received_at AS ReceivedAt,
        fields AS Fields, state AS State, attempts AS Attempts, next_attempt_at AS NextAttemptAt, outcome AS Outcome
        """;

    private const string Open = "state IN ('Pending', 'Confirmed')";

    private readonly PostgreSqlDatabase _database;
    private readonly TimeProvider _time;

    /// <param name="database">The shared database (migrated on first use).</param>
    /// <param name="time">The clock for leases.</param>
    /// <param name="lease">How long a portal's events stay with this instance without a renewal (default
    /// <see cref="PostgreSqlMessageStore.DefaultLease"/>); longer than one round of confirming and applying.</param>
    public PostgreSqlEventInbox(PostgreSqlDatabase database, TimeProvider time, TimeSpan? lease = null)
    {
        _database = database;
        _time = time;
        Lease = lease ?? PostgreSqlMessageStore.DefaultLease;
        if (Lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lease), "The event lease must be positive.");
    }

    /// <summary>How long this instance holds a portal's events after its last claim or write.</summary>
    public TimeSpan Lease { get; }

    /// <summary>This inbox's name as a lease holder: unique per process (a restarted process is a new holder).</summary>
    public string Owner { get; } = $"{Environment.ProcessId}-{Guid.NewGuid():N}";

    public bool TryAdd(InboxEvent e)
    {
        using var c = _database.Open();
        return c.Execute("""
            INSERT INTO event_inbox (id, member_id, name, fingerprint, sent_at, received_at, fields, state, attempts, next_attempt_at, outcome)
            VALUES (@Id, @MemberId, @Name, @Fingerprint, @SentAt, @ReceivedAt, @Fields, @State, @Attempts, @NextAttemptAt, @Outcome)
            ON CONFLICT (fingerprint) DO NOTHING
            """, new
        {
            Id = e.Id.ToString(), e.MemberId, e.Name, e.Fingerprint, SentAt = Utc(e.SentAt), ReceivedAt = Utc(e.ReceivedAt),
            Fields = JsonSerializer.Serialize(e.Fields), State = e.State.ToString(), e.Attempts, NextAttemptAt = Utc(e.NextAttemptAt), e.Outcome,
        }) == 1;
    }

    public int CountOpen(string memberId)
    {
        using var c = _database.Open();
        return c.ExecuteScalar<int>($"SELECT count(*) FROM event_inbox WHERE member_id = @memberId AND {Open}", new { memberId });
    }

    public IReadOnlyList<string> PortalsWithOpenEvents()
    {
        using var c = _database.Open();
        return c.Query<string>($"SELECT DISTINCT member_id FROM event_inbox WHERE {Open}").ToList();
    }

    public IReadOnlyList<InboxEvent> ClaimDue(string memberId, DateTime now, int limit)
    {
        var clock = _time.GetUtcNow().UtcDateTime;
        using var c = _database.Open();
        if (!PortalLeases.Events.TakeOrRenew(c, memberId, Owner, clock, clock + Lease)) return [];
        return c.Query<Row>($"""
            SELECT {Columns} FROM event_inbox
            WHERE member_id = @memberId AND {Open} AND next_attempt_at <= @now
            ORDER BY sent_at, id LIMIT @limit
            """, new { memberId, now = Utc(now), limit }).Select(ToEvent).ToList();
    }

    public InboxEvent? Get(ObjectId id)
    {
        using var c = _database.Open();
        return c.Query<Row>($"SELECT {Columns} FROM event_inbox WHERE id = @id", new { id = id.ToString() }).Select(ToEvent).SingleOrDefault();
    }

    public IReadOnlyList<InboxEvent> ForPortal(string memberId)
    {
        using var c = _database.Open();
        return c.Query<Row>($"SELECT {Columns} FROM event_inbox WHERE member_id = @memberId ORDER BY id", new { memberId }).Select(ToEvent).ToList();
    }

    public bool Update(InboxEvent e)
    {
        var clock = _time.GetUtcNow().UtcDateTime;
        using var c = _database.Open();
        // The lease row is renewed (and locked) first; the event is written only if that found it ours.
        return c.Execute($"""
            WITH held AS ({PortalLeases.Events.RenewReturningRow})
            UPDATE event_inbox SET state = @State, attempts = @Attempts, next_attempt_at = @NextAttemptAt, outcome = @Outcome
            WHERE id = @Id AND EXISTS (SELECT 1 FROM held)
            """, new
        {
            Id = e.Id.ToString(), e.MemberId, State = e.State.ToString(), e.Attempts, NextAttemptAt = Utc(e.NextAttemptAt), e.Outcome,
            owner = Owner, until = clock + Lease,
        }) == 1;
    }

    public void WakeWaiting(string memberId, DateTime now)
    {
        using var c = _database.Open();
        c.Execute("""
            UPDATE event_inbox SET next_attempt_at = @now
            WHERE member_id = @memberId AND state = 'Confirmed' AND next_attempt_at > @now
            """, new { memberId, now = Utc(now) });
    }

    public int Prune(DateTime before)
    {
        using var c = _database.Open();
        return c.Execute("DELETE FROM event_inbox WHERE sent_at < @before AND state IN ('Applied', 'Dropped')", new { before = Utc(before) });
    }

    public void Release()
    {
        using var c = _database.Open();
        PortalLeases.Events.Release(c, Owner);
    }

    private static InboxEvent ToEvent(Row r) => new()
    {
        Id = new ObjectId(r.Id), MemberId = r.MemberId, Name = r.Name, Fingerprint = r.Fingerprint,
        SentAt = Utc(r.SentAt), ReceivedAt = Utc(r.ReceivedAt),
        Fields = JsonSerializer.Deserialize<List<InboxField>>(r.Fields) ?? [],
        State = Enum.Parse<InboxState>(r.State), Attempts = r.Attempts, NextAttemptAt = Utc(r.NextAttemptAt), Outcome = r.Outcome,
    };

    // DateTime.MaxValue ("never again") is stored as infinity and read back as DateTime.MaxValue.
    private static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string MemberId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Fingerprint { get; set; } = "";
        public DateTime SentAt { get; set; }
        public DateTime ReceivedAt { get; set; }
        public string Fields { get; set; } = "[]";
        public string State { get; set; } = "";
        public int Attempts { get; set; }
        public DateTime NextAttemptAt { get; set; }
        public string? Outcome { get; set; }
    }
}
