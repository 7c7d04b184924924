using Dapper;
using LineBridge.Components.Messages;
using LiteDB;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

// The outbox shared by several instances. An item is held by one instance at a time: Claim takes the oldest item of
// each message that nobody holds (or whose holder let its lease lapse), locking candidates with FOR UPDATE SKIP LOCKED
// so two instances claiming at once never take the same row, and stamps lease_owner and lease_until. Every write-back
// (in flight, reschedule, hold, complete) names the holder: an instance that lost an item to another (it stalled past
// its lease) changes nothing. A send found in flight when its item is taken over may have reached the portal, so it
// goes again only after a delete of its id (DeleteFirst): the rule that already protects a restart.
// Per-message order: only a message's oldest pending item can be claimed, and a message's items are created in order
// under its row lock, so an edit never overtakes its send, whichever instance holds it.
public sealed partial class PostgreSqlMessageStore
{
    private const string OutboxColumns = """
        id AS Id, member_id AS MemberId, connector AS Connector, line AS Line, kind AS Kind, message_id AS MessageId,
        version AS Version, text AS Text, attempts AS Attempts, next_attempt_at AS NextAttemptAt, last_error AS LastError,
        delete_first AS DeleteFirst, in_flight AS InFlight
        """;

    public IReadOnlyList<OutboxItem> Claim(int max, IReadOnlyCollection<string>? except = null) => ClaimWhere(null, max, except);

    public IReadOnlyList<OutboxItem> ClaimOf(string memberId, int max) => ClaimWhere(memberId, max, null);

    /// <summary>
    /// The claim of <see cref="Claim"/>, of every portal's items (<paramref name="memberId"/> null) or of one portal's,
    /// leaving out the portals in <paramref name="except"/>.
    /// </summary>
    private List<OutboxItem> ClaimWhere(string? memberId, int max, IReadOnlyCollection<string>? except)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        using var c = _database.Open();
        var claimed = c.Query<OutboxItem>($"""
            WITH heads AS (
                SELECT o.id FROM message_outbox o
                WHERE (o.lease_owner IS NULL OR o.lease_owner = @owner OR o.lease_until < @now)
                  AND (@memberId::text IS NULL OR o.member_id = @memberId)
                  AND NOT (o.member_id = ANY(@except))
                  AND NOT EXISTS (SELECT 1 FROM message_outbox p WHERE p.message_id = o.message_id AND p.id < o.id)
                ORDER BY o.id
                LIMIT @max
                FOR UPDATE SKIP LOCKED)
            UPDATE message_outbox o
            SET lease_owner = @owner, lease_until = @until,
                delete_first = o.delete_first OR (o.in_flight AND o.kind = 'Send'), in_flight = false
            FROM heads WHERE o.id = heads.id
            RETURNING {Qualified("o", OutboxColumns)}
            """, new { owner = Owner, now, until = now + Lease, max, memberId, except = except?.ToArray() ?? [] }).ToList();
        claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
        return claimed;
    }

    public void Release()
    {
        using var c = _database.Open();
        c.Execute("UPDATE message_outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner", new { owner = Owner });
        PortalLeases.Replies.Release(c, Owner);
    }

    public bool HasPendingWork()
    {
        using var c = _database.Open();
        return c.ExecuteScalar<bool>("SELECT EXISTS (SELECT 1 FROM message_outbox)");
    }

    public IReadOnlyList<OutboxItem> MarkInFlight(IReadOnlyList<OutboxItem> items)
    {
        if (items.Count == 0) return [];
        var now = _time.GetUtcNow().UtcDateTime;
        using var c = _database.Open();
        // The lease is renewed as the call goes out: the call itself may wait for the portal's rate limit.
        var held = c.Query<long>("""
            UPDATE message_outbox SET in_flight = true, lease_until = @until
            WHERE id = ANY(@ids) AND lease_owner = @owner AND kind = 'Send' AND NOT in_flight AND NOT delete_first
            RETURNING id
            """, new { ids = items.Select(i => i.Id).ToArray(), owner = Owner, until = now + Lease }).ToHashSet();
        var still = items.Where(i => held.Contains(i.Id)).ToList();
        foreach (var item in still) item.InFlight = true;
        return still;
    }

    public int RecoverInFlight()
    {
        using var c = _database.Open();
        return c.Execute("""
            UPDATE message_outbox SET in_flight = false, delete_first = delete_first OR kind = 'Send'
            WHERE in_flight AND lease_owner = @owner
            """, new { owner = Owner });
    }

    public void Reschedule(IReadOnlyList<OutboxItem> items, string error, DateTime nextAttemptAt, bool deleteFirst)
    {
        if (items.Count == 0) return;
        using var c = _database.Open();
        c.Execute("""
            UPDATE message_outbox SET attempts = attempts + 1, last_error = @error, next_attempt_at = @next, in_flight = false,
                delete_first = delete_first OR @deleteFirst
            WHERE id = ANY(@ids) AND lease_owner = @owner
            """, new { ids = items.Select(i => i.Id).ToArray(), owner = Owner, error, next = Utc(nextAttemptAt), deleteFirst });
    }

    public void ClearDeleteFirst(IReadOnlyList<OutboxItem> items)
    {
        if (items.Count == 0) return;
        using var c = _database.Open();
        c.Execute("UPDATE message_outbox SET delete_first = false, next_attempt_at = @now WHERE id = ANY(@ids) AND lease_owner = @owner",
            new { ids = items.Select(i => i.Id).ToArray(), owner = Owner, now = Now() });
    }

    public void Hold(IReadOnlyList<OutboxItem> items, DateTime? notBefore = null)
    {
        if (items.Count == 0) return;
        using var c = _database.Open();
        c.Execute("""
            UPDATE message_outbox SET in_flight = false,
                attempts = attempts + CASE WHEN @hasNext THEN 1 ELSE 0 END,
                next_attempt_at = COALESCE(@next, next_attempt_at)
            WHERE id = ANY(@ids) AND lease_owner = @owner
            """, new { ids = items.Select(i => i.Id).ToArray(), owner = Owner, hasNext = notBefore is not null, next = notBefore is { } n ? Utc(n) : (DateTime?)null });
    }

    // A call's outcome settles up to a few hundred items at once, so Complete takes a fixed number of statements, not
    // several per item: on the many-portals benchmark the per-item form took 0.8-2.2 s for 100 items (each statement a
    // round trip on a busy machine), and those writes slowed every other portal's delivery.
    public IReadOnlyList<MessageRecord> Complete(IReadOnlyList<OutboxCompletion> completions) => InTransaction((c, tx) =>
    {
        if (completions.Count == 0) return (IReadOnlyList<MessageRecord>)[];
        // Only the holder finishes an item: one that lost it to another instance must not settle its message.
        var held = c.Query<long>("DELETE FROM message_outbox WHERE id = ANY(@ids) AND lease_owner = @owner RETURNING id",
            new { ids = completions.Select(i => i.Item.Id).Distinct().ToArray(), owner = Owner }, tx).ToHashSet();
        var settled = completions.Where(i => held.Contains(i.Item.Id)).ToList();
        // The messages are locked in one order (by id), so two instances settling overlapping messages cannot deadlock.
        var records = c.Query<MessageRecord>(
            $"SELECT {MessageColumns} FROM messages WHERE id = ANY(@ids) ORDER BY id FOR NO KEY UPDATE",
            new { ids = Ids(settled.Select(i => i.Item.MessageId)) }, tx).ToDictionary(r => r.Id);

        // Nothing that follows a failed send can find its message at the portal.
        var failedSends = settled
            .Where(i => i.Item.Kind == ChangeKind.Send && !i.Success && i.SupersededBy is null && records.ContainsKey(i.Item.MessageId))
            .Select(i => i.Item.MessageId).ToList();
        var notSent = failedSends.Count == 0 ? [] : c.Query<(string MessageId, int Version)>(
            "DELETE FROM message_outbox WHERE message_id = ANY(@ids) RETURNING message_id, version",
            new { ids = Ids(failedSends) }, tx).ToList();

        // Each version's new status (the last word on a version wins, as it would one statement after another).
        var versions = new Dictionary<(ObjectId MessageId, int Version), (MessageStatus Status, string Answer)>();
        var outcomes = new Dictionary<ObjectId, OutboxCompletion>();
        var now = Now();
        foreach (var item in settled)
        {
            if (!records.TryGetValue(item.Item.MessageId, out var record)) continue;
            var key = (record.Id, item.Item.Version);
            if (item.SupersededBy is not null)
            {
                // Only its version changes: the newer item that carried its text settles the message.
                versions[key] = (MessageStatus.Superseded, item.PortalAnswer);
                continue;
            }
            versions[key] = (item.Success ? Done(item.Item.Kind) : MessageStatus.Failed, item.PortalAnswer);
            if (item.Success && item.Item.Kind != ChangeKind.Delete) record.PortalText = item.Item.Text ?? "";
            if (item.Item.Kind == ChangeKind.Send && item.Success)
            {
                record.Delivered = true;
                record.PortalUserId = item.Result?.PortalUserId ?? record.PortalUserId;
                record.SessionId = item.Result?.SessionId ?? record.SessionId;
                record.PortalChatId = item.Result?.PortalChatId ?? record.PortalChatId;
            }
            outcomes[record.Id] = item;
        }
        foreach (var (messageId, version) in notSent)
        {
            versions[(new ObjectId(messageId), version)] = (MessageStatus.Failed, "Not sent: the message never reached the portal.");
        }
        if (versions.Count > 0)
        {
            var rows = versions.ToList();
            c.Execute("""
                UPDATE message_versions v SET status = u.status, portal_answer = u.answer
                FROM unnest(@ids::text[], @versions::int[], @statuses::text[], @answers::text[]) AS u(message_id, version, status, answer)
                WHERE v.message_id = u.message_id AND v.version = u.version
                """, new
            {
                ids = rows.Select(r => r.Key.MessageId.ToString()).ToArray(),
                versions = rows.Select(r => r.Key.Version).ToArray(),
                statuses = rows.Select(r => r.Value.Status.ToString()).ToArray(),
                answers = rows.Select(r => r.Value.Answer).ToArray(),
            }, tx);
        }
        if (outcomes.Count == 0) return (IReadOnlyList<MessageRecord>)[];

        var pending = c.Query<string>("SELECT DISTINCT message_id FROM message_outbox WHERE message_id = ANY(@ids)",
            new { ids = Ids(outcomes.Keys) }, tx).ToHashSet(StringComparer.Ordinal);
        var changed = new List<MessageRecord>();
        foreach (var (id, item) in outcomes)
        {
            var record = records[id];
            if (pending.Contains(id.ToString()))
            {
                record.Status = MessageStatus.Queued;
            }
            else if (item.Success)
            {
                record.Status = Done(item.Item.Kind);
                record.FailureReason = null;
            }
            else
            {
                record.Status = MessageStatus.Failed;
                record.FailureReason = item.PortalAnswer;
            }
            record.UpdatedAt = now;
            changed.Add(record);
        }
        // Settling changes no text, so the search rows stay as they are.
        c.Execute("""
            UPDATE messages m SET portal_text = u.portal_text, status = u.status, failure_reason = u.failure_reason,
                delivered = u.delivered, portal_user_id = u.portal_user_id, session_id = u.session_id,
                portal_chat_id = u.portal_chat_id, updated_at = @now
            FROM unnest(@ids::text[], @portalTexts::text[], @statuses::text[], @reasons::text[], @delivered::boolean[],
                @portalUserIds::text[], @sessionIds::text[], @portalChatIds::text[])
                AS u(id, portal_text, status, failure_reason, delivered, portal_user_id, session_id, portal_chat_id)
            WHERE m.id = u.id
            """, new
        {
            ids = changed.Select(r => r.Id.ToString()).ToArray(),
            portalTexts = changed.Select(r => r.PortalText).ToArray(),
            statuses = changed.Select(r => r.Status.ToString()).ToArray(),
            reasons = changed.Select(r => r.FailureReason).ToArray(),
            delivered = changed.Select(r => r.Delivered).ToArray(),
            portalUserIds = changed.Select(r => r.PortalUserId).ToArray(),
            sessionIds = changed.Select(r => r.SessionId).ToArray(),
            portalChatIds = changed.Select(r => r.PortalChatId).ToArray(),
            now = Utc(now),
        }, tx);
        return (IReadOnlyList<MessageRecord>)changed;
    });

    public IReadOnlyList<MessageRecord> MarkWaiting(IReadOnlyList<ObjectId> messageIds, string reason)
    {
        if (messageIds.Count == 0) return [];
        using var c = _database.Open();
        return c.Query<MessageRecord>($"""
            UPDATE messages SET status = 'Waiting', failure_reason = @reason
            WHERE id = ANY(@ids) AND NOT (status = 'Waiting' AND failure_reason IS NOT DISTINCT FROM @reason)
            RETURNING {MessageColumns}
            """, new { ids = Ids(messageIds), reason }).ToList();
    }

    public int CountPending(string memberId, int line)
    {
        using var c = _database.Open();
        return c.ExecuteScalar<int>("SELECT count(*) FROM message_outbox WHERE member_id = @memberId AND line = @line", new { memberId, line });
    }

    public IReadOnlyList<MessageRecord> NoteRetry(IReadOnlyList<OutboxItem> items, string reason)
    {
        if (items.Count == 0) return [];
        using var c = _database.Open();
        // It is being attempted again: no longer waiting for a gate, but not failed either.
        return c.Query<MessageRecord>($"""
            UPDATE messages SET status = CASE WHEN status = 'Waiting' THEN 'Queued' ELSE status END, failure_reason = @reason
            WHERE id = ANY(@ids)
            RETURNING {MessageColumns}
            """, new { ids = Ids(items.Select(i => i.MessageId)), reason }).ToList();
    }

    public OutboxDepth Depth()
    {
        using var c = _database.Open();
        var (items, oldest) = c.QuerySingle<(long, DateTime?)>("SELECT count(*), min(accepted_at) FROM message_outbox");
        return new OutboxDepth(items, oldest);
    }

    private static MessageStatus Done(ChangeKind kind) => kind == ChangeKind.Delete ? MessageStatus.Deleted : MessageStatus.Sent;

    /// <summary>Prefixes each column of a column list with a table alias (for UPDATE ... FROM ... RETURNING).</summary>
    private static string Qualified(string alias, string columns) =>
        string.Join(", ", columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(col => alias + "." + col));
}
