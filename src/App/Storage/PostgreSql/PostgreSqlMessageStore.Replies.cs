using Dapper;
using LineBridge.Components.Messages;
using LineBridge.Replies;
using LiteDB;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

// Operator replies (issue 6) in the table messages (direction Outgoing) with their webhook deliveries in
// reply_deliveries, written in the same transaction.
public sealed partial class PostgreSqlMessageStore
{
    private const string DeliveryColumns = """
        id AS Id, event_id AS EventId, event_type AS EventType, member_id AS MemberId, connector AS Connector, line AS Line,
        message_id AS MessageId, version AS Version, body AS Body, stage AS Stage, attempts AS Attempts,
        next_attempt_at AS NextAttemptAt, last_error AS LastError, external_id AS ExternalId
        """;

    public MessageRecord? FindReply(string memberId, int line, string chatId, string imMessageId) =>
        FindByExternal(memberId, line, chatId, MessageStore.ReplyExternalId(imMessageId)) is { Direction: MessageDirection.Outgoing } r ? r : null;

    public StoredReply AddReply(
        string memberId, string connector, ReplyEvent reply, string changedBy, Func<MessageRecord, ReplyDelivery> delivery) =>
        InTransaction((c, tx) =>
        {
            var now = Now();
            var record = new MessageRecord
            {
                Id = ObjectId.NewObjectId(),
                MemberId = memberId,
                Connector = connector,
                Line = reply.Line,
                ChatId = reply.ChatId,
                ExternalMessageId = MessageStore.ReplyExternalId(reply.ImMessageId),
                ExternalUserId = reply.OperatorId ?? "",
                ExternalUserName = changedBy,
                Payload = System.Text.Json.JsonSerializer.Serialize(reply.Files, MessageStore.PayloadJson),
                Text = reply.Text ?? "",
                HasFiles = reply.Files.Count > 0,
                Status = MessageStatus.Queued,
                Direction = MessageDirection.Outgoing,
                ImChatId = reply.ImChatId,
                ImMessageId = reply.ImMessageId,
                PortalUserId = reply.OperatorId,
                PortalChatId = reply.ImChatId,
                Version = 1,
                CreatedAt = now,
                UpdatedAt = now,
            };
            if (!TryInsert(c, tx, record))
            {
                return new StoredReply(FindByExternal(c, tx, memberId, reply.Line, reply.ChatId, record.ExternalMessageId)!, Duplicate: true);
            }
            AddVersion(c, tx, record, ChangeKind.Send, oldText: null, changedBy, "Bitrix24", now);
            Enqueue(c, tx, delivery(record), now);
            return new StoredReply(record, Duplicate: false);
        });

    public StoredReply? ChangeReply(string memberId, ReplyEvent reply, string changedBy, Func<MessageRecord, ReplyDelivery> delivery) =>
        InTransaction((c, tx) =>
        {
            var record = FindByExternal(c, tx, memberId, reply.Line, reply.ChatId, MessageStore.ReplyExternalId(reply.ImMessageId), forUpdate: true);
            if (record is not { Direction: MessageDirection.Outgoing }) return null;
            var deleting = reply.Change == ReplyChange.Deleted;
            if (record.DeleteRequested || (!deleting && record.Text == (reply.Text ?? ""))) return new StoredReply(record, Duplicate: true);

            var now = Now();
            var oldText = record.Text;
            record.Version++;
            record.Status = MessageStatus.Queued;
            record.FailureReason = null;
            record.LastEditedBy = changedBy;
            record.UpdatedAt = now;
            if (deleting) record.DeleteRequested = true;
            else record.Text = reply.Text ?? "";
            Save(c, tx, record);
            AddVersion(c, tx, record, deleting ? ChangeKind.Delete : ChangeKind.Edit, oldText, changedBy, "Bitrix24", now);
            Enqueue(c, tx, delivery(record), now);
            return new StoredReply(record, Duplicate: false);
        });

    private static void Enqueue(NpgsqlConnection c, NpgsqlTransaction tx, ReplyDelivery d, DateTime now)
    {
        d.Stage = DeliveryStage.Webhook;
        d.NextAttemptAt = now;
        d.Id = c.ExecuteScalar<long>("""
            INSERT INTO reply_deliveries (event_id, event_type, member_id, connector, line, message_id, version, body, stage,
                attempts, next_attempt_at, last_error, external_id)
            VALUES (@EventId, @EventType, @MemberId, @Connector, @Line, @MessageId, @Version, @Body, @Stage, @Attempts,
                @NextAttemptAt, @LastError, @ExternalId)
            RETURNING id
            """, new
        {
            d.EventId, d.EventType, d.MemberId, d.Connector, d.Line, MessageId = d.MessageId.ToString(), d.Version, d.Body,
            Stage = d.Stage.ToString(), d.Attempts, NextAttemptAt = Utc(d.NextAttemptAt), d.LastError, d.ExternalId,
        }, tx);
    }

    public IReadOnlyList<ReplyDelivery> LoadDeliveries(int max)
    {
        using var c = _database.Open();
        return c.Query<ReplyDelivery>($"SELECT {DeliveryColumns} FROM reply_deliveries ORDER BY id LIMIT @max", new { max }).ToList();
    }

    /// <summary>
    /// One portal's pending deliveries, oldest first, for the one instance that holds the portal's reply lease (taken
    /// or renewed here, <see cref="Lease"/> long): the dispatcher keeps a message's changes in order within its
    /// batch, so a portal's replies go out from one instance at a time. Empty while another instance holds it.
    /// </summary>
    public IReadOnlyList<ReplyDelivery> LoadDeliveries(string memberId, int max)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        using var c = _database.Open();
        if (!PortalLeases.Replies.TakeOrRenew(c, memberId, Owner, now, now + Lease)) return [];
        return c.Query<ReplyDelivery>($"SELECT {DeliveryColumns} FROM reply_deliveries WHERE member_id = @memberId ORDER BY id LIMIT @max",
            new { memberId, max }).ToList();
    }

    public IReadOnlyList<string> PortalsWithDeliveries()
    {
        using var c = _database.Open();
        return c.Query<string>("SELECT DISTINCT member_id FROM reply_deliveries").ToList();
    }

    public ReplyDelivery? GetDelivery(long id)
    {
        using var c = _database.Open();
        return LoadDelivery(c, null, id);
    }

    public MessageRecord? CompleteWebhook(ReplyDelivery delivery, string answer, string? externalId) => InTransaction((c, tx) =>
    {
        HoldDeliveries(c, tx, delivery.MemberId);
        var now = Now();
        if (delivery.EventType == WebhookEventTypes.MessageCreated)
        {
            delivery.Stage = DeliveryStage.PortalStatus;
            delivery.ExternalId = externalId;
            delivery.Attempts = 0;
            delivery.LastError = null;
            delivery.NextAttemptAt = now;
            c.Execute("""
                UPDATE reply_deliveries SET stage = @stage, external_id = @externalId, attempts = 0, last_error = NULL,
                    next_attempt_at = @now WHERE id = @id
                """, new { id = delivery.Id, stage = delivery.Stage.ToString(), externalId, now }, tx);
        }
        else
        {
            c.Execute("DELETE FROM reply_deliveries WHERE id = @id", new { id = delivery.Id }, tx);
        }

        var record = Load(c, tx, delivery.MessageId, forUpdate: true);
        if (record is null) return null;
        var done = delivery.EventType == WebhookEventTypes.MessageDeleted ? MessageStatus.Deleted : MessageStatus.Sent;
        SetVersionStatus(c, tx, record.Id, delivery.Version, done, answer);
        if (delivery.EventType == WebhookEventTypes.MessageCreated) record.DeliveredAs = externalId;
        record.Delivered = true;
        record.Status = HasPendingWebhook(c, tx, record.Id, delivery.Id) ? MessageStatus.Queued : done;
        record.FailureReason = null;
        record.UpdatedAt = now;
        Save(c, tx, record);
        return record;
    });

    public void CompletePortalStatus(ReplyDelivery delivery) => InTransaction((c, tx) =>
    {
        HoldDeliveries(c, tx, delivery.MemberId);
        return c.Execute("DELETE FROM reply_deliveries WHERE id = @id", new { id = delivery.Id }, tx);
    });

    public MessageRecord? FailDelivery(ReplyDelivery delivery, string reason, DateTime? nextAttemptAt) => InTransaction((c, tx) =>
    {
        HoldDeliveries(c, tx, delivery.MemberId);
        var current = LoadDelivery(c, tx, delivery.Id, forUpdate: true);
        if (current is null) return null;
        current.Attempts++;
        current.LastError = reason;
        if (nextAttemptAt is { } next)
        {
            current.NextAttemptAt = Utc(next);
            c.Execute("UPDATE reply_deliveries SET attempts = @Attempts, last_error = @LastError, next_attempt_at = @NextAttemptAt WHERE id = @Id",
                new { current.Id, current.Attempts, current.LastError, current.NextAttemptAt }, tx);
        }
        else
        {
            c.Execute("DELETE FROM reply_deliveries WHERE id = @id", new { id = current.Id }, tx);
        }
        delivery.Attempts = current.Attempts;
        delivery.LastError = reason;
        delivery.NextAttemptAt = current.NextAttemptAt;
        if (current.Stage != DeliveryStage.Webhook) return null;

        var record = Load(c, tx, current.MessageId, forUpdate: true);
        if (record is null) return null;
        if (nextAttemptAt is null) SetVersionStatus(c, tx, record.Id, current.Version, MessageStatus.Failed, reason);
        record.Status = MessageStatus.Failed;
        record.FailureReason = reason;
        record.UpdatedAt = Now();
        Save(c, tx, record);
        return record;
    });

    public MessageRecord? WaitForAddress(ReplyDelivery delivery, string reason, DateTime nextAttemptAt) => InTransaction((c, tx) =>
    {
        HoldDeliveries(c, tx, delivery.MemberId);
        var current = LoadDelivery(c, tx, delivery.Id, forUpdate: true);
        if (current is null) return null;
        c.Execute("UPDATE reply_deliveries SET next_attempt_at = @next, last_error = @reason WHERE id = @id",
            new { id = current.Id, next = Utc(nextAttemptAt), reason }, tx);
        delivery.NextAttemptAt = nextAttemptAt;
        if (current.Stage != DeliveryStage.Webhook) return null;
        var record = Load(c, tx, current.MessageId, forUpdate: true);
        if (record is null || (record.Status == MessageStatus.Waiting && record.FailureReason == reason)) return null;
        record.Status = MessageStatus.Waiting;
        record.FailureReason = reason;
        record.UpdatedAt = Now();
        Save(c, tx, record);
        return record;
    });

    /// <summary>
    /// The fence of every delivery outcome: renews this instance's lease on the portal's deliveries and locks its row
    /// until the outcome commits (a takeover waits for it, and then finds the lease renewed). An instance whose lease
    /// lapsed and was taken by another records nothing over the new holder's work.
    /// </summary>
    /// <exception cref="DeliveriesHandedOverException">Another instance holds the portal's deliveries now.</exception>
    private void HoldDeliveries(NpgsqlConnection c, NpgsqlTransaction tx, string memberId)
    {
        if (!PortalLeases.Replies.Renew(c, tx, memberId, Owner, _time.GetUtcNow().UtcDateTime + Lease)) throw new DeliveriesHandedOverException(memberId);
    }

    private static ReplyDelivery? LoadDelivery(NpgsqlConnection c, NpgsqlTransaction? tx, long id, bool forUpdate = false) =>
        c.QuerySingleOrDefault<ReplyDelivery>(
            $"SELECT {DeliveryColumns} FROM reply_deliveries WHERE id = @id" + (forUpdate ? " FOR UPDATE" : ""), new { id }, tx);

    private static bool HasPendingWebhook(NpgsqlConnection c, NpgsqlTransaction tx, ObjectId messageId, long except) =>
        c.ExecuteScalar<bool>("SELECT EXISTS (SELECT 1 FROM reply_deliveries WHERE message_id = @id AND id <> @except AND stage = 'Webhook')",
            new { id = messageId.ToString(), except }, tx);
}
