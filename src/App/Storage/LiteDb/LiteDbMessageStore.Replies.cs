using LineBridge.Components.Messages;
using LineBridge.Replies;
using LiteDB;

namespace LineBridge.Storage.LiteDb;

// Operator replies (issue 6): stored in the message log beside the customer's messages, with their webhook deliveries
// written in the same transaction, so a reply is never recorded without its delivery or delivered without its record.
public sealed partial class LiteDbMessageStore
{
    internal const string ReplyDeliveriesCollection = "reply_deliveries";

    private ILiteCollection<ReplyDelivery>? _deliveries;

    private ILiteCollection<ReplyDelivery> Deliveries
    {
        get
        {
            if (_deliveries is not null) return _deliveries;
            var deliveries = _db.GetCollection<ReplyDelivery>(ReplyDeliveriesCollection, BsonAutoId.Int64);
            LiteDbCollections.Write(_db, () =>
            {
                deliveries.EnsureIndex(x => x.MessageId);
                deliveries.EnsureIndex(x => x.MemberId);
            });
            return _deliveries = deliveries;
        }
    }

    public MessageRecord? FindReply(string memberId, int line, string chatId, string imMessageId) =>
        FindByExternal(memberId, line, chatId, MessageStore.ReplyExternalId(imMessageId)) is { Direction: MessageDirection.Outgoing } r ? r : null;

    /// <summary>
    /// Records a new operator reply and queues its webhook delivery. The same portal message seen again (events can
    /// arrive twice) is not added and not queued again.
    /// </summary>
    public StoredReply AddReply(
        string memberId, string connector, ReplyEvent reply, string changedBy, Func<MessageRecord, ReplyDelivery> delivery)
    {
        StoredReply? result = null;
        InTransaction(() =>
        {
            var key = MessageKeys.External(memberId, reply.Line, reply.ChatId, MessageStore.ReplyExternalId(reply.ImMessageId));
            if (_messages.FindOne(Eq(nameof(MessageRecord.ExternalKey), key)) is { } existing)
            {
                result = new StoredReply(existing, Duplicate: true);
                return;
            }

            var now = Now();
            var text = reply.Text ?? "";
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
                Text = text,
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
            MessageKeys.Assign(record);
            record.SearchBlock = NotYetDerived;   // search entry and counts follow, in order with the sends
            _messages.Insert(record);
            QueueDerivation([record]);
            AddVersion(record, ChangeKind.Send, oldText: null, changedBy, "Bitrix24", now);
            Enqueue(delivery(record), now);
            result = new StoredReply(record, Duplicate: false);
        });
        return result!;
    }

    /// <summary>
    /// Records an operator's edit or delete of a reply as a new version and queues its delivery. Null when the reply
    /// is unknown; a duplicate when it changes nothing (the same event again, or one delete event per external id).
    /// </summary>
    public StoredReply? ChangeReply(
        string memberId, ReplyEvent reply, string changedBy, Func<MessageRecord, ReplyDelivery> delivery)
    {
        StoredReply? result = null;
        InTransaction(() =>
        {
            var record = FindReply(memberId, reply.Line, reply.ChatId, reply.ImMessageId);
            if (record is null) return;
            var deleting = reply.Change == ReplyChange.Deleted;
            if (record.DeleteRequested || (!deleting && record.Text == (reply.Text ?? "")))
            {
                result = new StoredReply(record, Duplicate: true);
                return;
            }

            var now = Now();
            var oldStatus = record.Status;
            var oldText = record.Text;
            record.Version++;
            record.Status = MessageStatus.Queued;
            record.FailureReason = null;
            record.LastEditedBy = changedBy;
            record.UpdatedAt = now;
            if (deleting) record.DeleteRequested = true;
            else record.Text = reply.Text ?? "";
            Save(record, oldStatus);
            AddVersion(record, deleting ? ChangeKind.Delete : ChangeKind.Edit, oldText, changedBy, "Bitrix24", now);
            Enqueue(delivery(record), now);
            result = new StoredReply(record, Duplicate: false);
        });
        return result;
    }

    private void Enqueue(ReplyDelivery delivery, DateTime now)
    {
        delivery.Stage = DeliveryStage.Webhook;
        delivery.NextAttemptAt = now;
        Deliveries.Insert(delivery);
    }

    // ---- reply deliveries ----

    /// <summary>Pending deliveries, oldest first.</summary>
    public IReadOnlyList<ReplyDelivery> LoadDeliveries(int max) =>
        Deliveries.Query().OrderBy(x => x.Id).Limit(max).ToList();

    /// <summary>One portal's waiting deliveries, oldest first: each portal's backlog is read on its own, so one portal's
    /// thousands of failing deliveries never hide another's.</summary>
    public IReadOnlyList<ReplyDelivery> LoadDeliveries(string memberId, int max) =>
        Deliveries.Query().Where(x => x.MemberId == memberId).OrderBy(x => x.Id).Limit(max).ToList();

    /// <summary>The portals that have deliveries waiting.</summary>
    public IReadOnlyList<string> PortalsWithDeliveries() =>
        Deliveries.Query().Select(x => x.MemberId).ToEnumerable().Distinct(StringComparer.Ordinal).ToList();

    public ReplyDelivery? GetDelivery(long id) => Deliveries.FindById(id);

    /// <summary>
    /// The webhook took the change. A new reply moves on to the portal's delivery status; anything else is done.
    /// The message turns Sent (Deleted for a delete) unless more of its changes wait.
    /// </summary>
    public MessageRecord? CompleteWebhook(ReplyDelivery delivery, string answer, string? externalId)
    {
        MessageRecord? changed = null;
        InTransaction(() =>
        {
            var now = Now();
            if (delivery.EventType == WebhookEventTypes.MessageCreated)
            {
                delivery.Stage = DeliveryStage.PortalStatus;
                delivery.ExternalId = externalId;
                delivery.Attempts = 0;
                delivery.LastError = null;
                delivery.NextAttemptAt = now;
                Deliveries.Update(delivery);
            }
            else
            {
                Deliveries.Delete(delivery.Id);
            }

            var record = _messages.FindById(delivery.MessageId);
            if (record is null) return;
            var oldStatus = record.Status;
            var done = delivery.EventType == WebhookEventTypes.MessageDeleted ? MessageStatus.Deleted : MessageStatus.Sent;
            SetVersionStatus(record.Id, delivery.Version, done, answer);
            if (delivery.EventType == WebhookEventTypes.MessageCreated) record.DeliveredAs = externalId;
            record.Delivered = true;
            record.Status = HasPendingWebhook(record.Id, delivery.Id) ? MessageStatus.Queued : done;
            record.FailureReason = null;
            record.UpdatedAt = now;
            Save(record, oldStatus);
            changed = record;
        });
        return changed;
    }

    /// <summary>The portal took the delivery status: nothing is left to do for this change.</summary>
    public void CompletePortalStatus(ReplyDelivery delivery) => InTransaction(() => Deliveries.Delete(delivery.Id));

    /// <summary>
    /// An attempt failed. With <paramref name="nextAttemptAt"/> the delivery waits for another try; without, it is
    /// given up. Webhook failures show on the message as Failed with the reason (while retrying too, so an
    /// administrator sees a broken webhook at once).
    /// </summary>
    public MessageRecord? FailDelivery(ReplyDelivery delivery, string reason, DateTime? nextAttemptAt)
    {
        MessageRecord? changed = null;
        InTransaction(() =>
        {
            var current = Deliveries.FindById(delivery.Id);
            if (current is null) return;
            current.Attempts++;
            current.LastError = reason;
            if (nextAttemptAt is { } next)
            {
                current.NextAttemptAt = next;
                Deliveries.Update(current);
            }
            else
            {
                Deliveries.Delete(current.Id);
            }
            delivery.Attempts = current.Attempts;
            delivery.LastError = reason;
            delivery.NextAttemptAt = current.NextAttemptAt;
            if (current.Stage != DeliveryStage.Webhook) return;

            var record = _messages.FindById(current.MessageId);
            if (record is null) return;
            var oldStatus = record.Status;
            if (nextAttemptAt is null) SetVersionStatus(record.Id, current.Version, MessageStatus.Failed, reason);
            record.Status = MessageStatus.Failed;
            record.FailureReason = reason;
            record.UpdatedAt = Now();
            Save(record, oldStatus);
            changed = record;
        });
        return changed;
    }

    /// <summary>
    /// The line has no webhook address: the delivery waits (no attempt counted, so it is never given up) and its
    /// message shows <see cref="MessageStatus.Waiting"/> with <paramref name="reason"/>. Returns the message when its
    /// status or reason changed.
    /// </summary>
    public MessageRecord? WaitForAddress(ReplyDelivery delivery, string reason, DateTime nextAttemptAt)
    {
        MessageRecord? changed = null;
        InTransaction(() =>
        {
            var current = Deliveries.FindById(delivery.Id);
            if (current is null) return;
            current.NextAttemptAt = nextAttemptAt;
            current.LastError = reason;
            Deliveries.Update(current);
            delivery.NextAttemptAt = nextAttemptAt;
            if (current.Stage != DeliveryStage.Webhook) return;
            var record = _messages.FindById(current.MessageId);
            if (record is null || (record.Status == MessageStatus.Waiting && record.FailureReason == reason)) return;
            var oldStatus = record.Status;
            record.Status = MessageStatus.Waiting;
            record.FailureReason = reason;
            record.UpdatedAt = Now();
            Save(record, oldStatus);
            changed = record;
        });
        return changed;
    }

    private bool HasPendingWebhook(ObjectId messageId, long except) =>
        Deliveries.Find(Eq(nameof(ReplyDelivery.MessageId), messageId))
            .Any(d => d.Id != except && d.Stage == DeliveryStage.Webhook);
}
