using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Replies;
using LiteDB;

namespace LineBridge.Storage;

// The message store's contracts, split by responsibility. Each has a LiteDB implementation (Storage/LiteDb,
// LiteDbMessageStore: one file, one writer, group commit) and a PostgreSQL one (Storage/PostgreSql,
// PostgreSqlMessageStore: shared by several instances), and one contract test suite that runs against both
// (tests/App.Tests/Storage/Contracts/Message*Contract.cs). One implementation class serves all four contracts of its
// engine because an accepted change writes the message, its version and its outbox item in one transaction.
// Callers use MessageStore, which holds the four.

/// <summary>A message to record and send: the portal, connector and line, and the <c>MESSAGES</c> element.</summary>
public sealed record NewMessage(string MemberId, string Connector, int Line, ConnectorMessage Message);

public sealed record AddedMessage(MessageRecord Record, bool Duplicate);

/// <summary>
/// A page of the log and how many match in all; <paramref name="TotalIsCapped"/>: more than
/// <paramref name="Total"/> match (a line's total, unfiltered, by status or by text, stops counting at
/// <see cref="MessageStore.SearchTotalCap"/>; a chat's is exact).
/// </summary>
public sealed record LogPage(IReadOnlyList<MessageRecord> Items, int Total, bool TotalIsCapped = false)
{
    public void Deconstruct(out IReadOnlyList<MessageRecord> items, out int total) => (items, total) = (Items, Total);
}

public enum ChangeOutcome
{
    Accepted,
    NotFound,
    Conflict,
    Rejected,
}

public sealed record ChangeResult(ChangeOutcome Outcome, MessageRecord? Message = null, string? Reason = null);

/// <summary>
/// What the portal said about one outbox item. <paramref name="SupersededBy"/>: the item never went out on its own; a
/// newer version of the same message carried the text instead (its version is recorded as
/// <see cref="MessageStatus.Superseded"/>, and the message's status follows the newer version's answer).
/// </summary>
public sealed record OutboxCompletion(
    OutboxItem Item, bool Success, string PortalAnswer, MessageItemResult? Result = null, int? SupersededBy = null);

/// <summary>An operator's reply as stored: the message, and whether the event had been seen before.</summary>
public sealed record StoredReply(MessageRecord Record, bool Duplicate);


/// <summary>
/// The message log and its versions: accepting sends, edits, deletes and retries (each with the outbox item that
/// carries it, in the same transaction), and reading messages back by id or by external id.
/// </summary>
public interface IMessageLogStore
{
    /// <summary>
    /// Records new messages and queues their sends, durable on return. A message whose (line, chat id, message id)
    /// is already recorded is not added again: it comes back as a duplicate with its existing record.
    /// </summary>
    /// <exception cref="ArgumentException">A message has no id.</exception>
    IReadOnlyList<AddedMessage> Add(IReadOnlyList<NewMessage> messages, string changedBy, string source);

    /// <summary><see cref="Add"/> for the send API: completes once the messages are durable (group commit on LiteDB).</summary>
    Task<IReadOnlyList<AddedMessage>> AddAsync(IReadOnlyList<NewMessage> messages, string changedBy, string source);

    /// <summary>
    /// Records an edit or a delete of a message and queues it for the portal. <paramref name="expectedVersion"/>, when
    /// given, must be the current version, or the change is a conflict and nothing is written.
    /// </summary>
    ChangeResult Change(string memberId, ObjectId messageId, ChangeKind kind, int? expectedVersion, string? newText, string changedBy, string source);

    /// <summary>Many edits in one transaction (one disk flush): find-and-replace over a chat or a line.</summary>
    IReadOnlyList<ChangeResult> EditMany(string memberId, IReadOnlyList<(ObjectId MessageId, int? ExpectedVersion, string Text)> edits, string changedBy, string source);

    /// <summary>Queues a failed message's last change again (a send preceded by a delete of its id); see <see cref="MessageStore.Retry"/>.</summary>
    ChangeResult Retry(string memberId, ObjectId messageId, string changedBy);

    /// <summary>The portal's message with this id, or null (also when it belongs to another portal).</summary>
    MessageRecord? Get(string memberId, ObjectId id);

    /// <summary>Any portal's message with this id: for the dispatchers, which work across portals.</summary>
    MessageRecord? GetById(ObjectId id);

    /// <summary>
    /// Many messages of any portal at once (the dispatcher reads a call's worth, up to a few hundred): one entry per id,
    /// in the order given, null where there is no such message. One query on PostgreSQL, not one per id.
    /// </summary>
    IReadOnlyList<MessageRecord?> GetByIds(IReadOnlyList<ObjectId> ids);

    /// <summary>The message with exactly this line, chat id and external id (case matters), or null.</summary>
    MessageRecord? FindByExternal(string memberId, int line, string chatId, string externalMessageId);

    /// <summary>Every version of a message of the portal, oldest first.</summary>
    IReadOnlyList<MessageVersionRecord> GetVersions(string memberId, ObjectId messageId);

    /// <summary>Writes messages as already delivered, without outbox work: for seeding a large log (benchmarks, tests).</summary>
    void ImportDelivered(IReadOnlyList<NewMessage> messages, DateTime createdAtUtc);
}

/// <summary>
/// The outbox: work waiting for the portal, in acceptance order, and the message statuses its outcomes settle.
/// With several instances on one database each item is held by one instance at a time (a claim with a lease).
/// </summary>
public interface IOutboxStore
{
    /// <summary>
    /// The oldest pending items (at most <paramref name="max"/>), in acceptance order, now held by this store: the
    /// first item of each message in the result is that message's oldest pending item, so an edit never overtakes its
    /// send; later items of a message may follow it in the result (they wait). A shared store hands an item to one
    /// holder at a time, for a lease renewed by every claim; an item whose holder stopped is claimed again after the
    /// lease, and a send it had out with the portal comes back with <see cref="OutboxItem.DeleteFirst"/>.
    /// </summary>
    /// <param name="max">The most items returned.</param>
    /// <param name="except">
    /// Portals (member ids) whose items are left out, neither read nor held: the dispatcher's portals whose delivery is
    /// under way or whose work all waits for their operating budget. Null or empty leaves out none.
    /// </param>
    IReadOnlyList<OutboxItem> Claim(int max, IReadOnlyCollection<string>? except = null);

    /// <summary>
    /// <see cref="Claim"/> limited to one portal's items: the dispatcher reads a quiet portal's work this way when
    /// other portals' backlogs fill the oldest <see cref="Claim"/> window, so a quiet portal never waits behind a
    /// saturated one. The same ordering and holding rules apply.
    /// </summary>
    IReadOnlyList<OutboxItem> ClaimOf(string memberId, int max);

    /// <summary>Lets go of everything this store holds (graceful shutdown; outbox items and reply leases), so others need not wait for the lease.</summary>
    void Release();

    /// <summary>Whether any work is pending (held or not).</summary>
    bool HasPendingWork();

    /// <summary>
    /// Marks sends as out with the portal (see <see cref="OutboxItem.InFlight"/>) and returns those this store still
    /// holds: only they may go out (on a shared store, an item whose lease lapsed may have passed to another instance).
    /// Judged on the stored item, not the caller's copy: an item that is gone (delivered), already out with the portal,
    /// or waiting for a delete first (<see cref="OutboxItem.DeleteFirst"/>) is not marked and must not be sent.
    /// </summary>
    IReadOnlyList<OutboxItem> MarkInFlight(IReadOnlyList<OutboxItem> items);

    /// <summary>
    /// At start-up: sends this process had out with the portal when it stopped get <see cref="OutboxItem.DeleteFirst"/>.
    /// Returns how many were found (a shared store finds none: <see cref="Claim"/> recovers a stopped holder's sends).
    /// </summary>
    int RecoverInFlight();

    /// <summary>Puts items back for a later attempt after a transient failure (an attempt counted).</summary>
    void Reschedule(IReadOnlyList<OutboxItem> items, string error, DateTime nextAttemptAt, bool deleteFirst);

    /// <summary>The delete that precedes an ambiguous send went through; the send may now go again.</summary>
    void ClearDeleteFirst(IReadOnlyList<OutboxItem> items);

    /// <summary>
    /// Records the portal's answers, removes the finished items and settles each message's status: queued while
    /// more of its work waits, otherwise sent, deleted, or failed with the portal's reason. A failed send fails the
    /// message's later items too. Returns the messages that changed.
    /// </summary>
    IReadOnlyList<MessageRecord> Complete(IReadOnlyList<OutboxCompletion> completions);

    /// <summary>Shows messages as <see cref="MessageStatus.Waiting"/> with the reason; returns only those that changed.</summary>
    IReadOnlyList<MessageRecord> MarkWaiting(IReadOnlyList<ObjectId> messageIds, string reason);

    /// <summary>Puts items back without counting an attempt (refused before they ran); see <see cref="MessageStore.Hold"/>.</summary>
    void Hold(IReadOnlyList<OutboxItem> items, DateTime? notBefore = null);

    /// <summary>How many changes of a line's messages wait for the portal (queued, retrying or waiting).</summary>
    int CountPending(string memberId, int line);

    /// <summary>Records a transient failure on the messages whose work waits for another attempt.</summary>
    IReadOnlyList<MessageRecord> NoteRetry(IReadOnlyList<OutboxItem> items, string reason);

    /// <summary>How many items wait and when the oldest waiting one was accepted (null when none): for the gauges.</summary>
    OutboxDepth Depth();
}

/// <summary>The outbox's size: <paramref name="Items"/> pending, the oldest accepted at <paramref name="OldestAcceptedAt"/> (UTC).</summary>
public sealed record OutboxDepth(long Items, DateTime? OldestAcceptedAt);

/// <summary>Reading the log: pages of a line (by chat, status, text) and text search for find-and-replace.</summary>
public interface IMessageSearchStore
{
    /// <summary>
    /// A page of a line's messages, newest first, and how many match in all (for a line, unfiltered, by status or by
    /// text, with more than <see cref="MessageStore.SearchTotalCap"/> matches: the cap, with
    /// <see cref="LogPage.TotalIsCapped"/>, on the pages within the cap; a chat is counted exactly). Text
    /// matches as a substring, ignoring case (any script).
    /// </summary>
    LogPage QueryPage(string memberId, MessageQuery query);

    /// <summary>
    /// Messages of a line (or one chat) whose text contains <paramref name="find"/> (ordinal: case matters), not
    /// deleted, newest first, at most <paramref name="max"/>.
    /// </summary>
    IReadOnlyList<MessageRecord> FindContaining(string memberId, int line, string? chatId, string find, int max);
}

/// <summary>
/// Operator replies (issue 6): stored in the log beside the customer's messages, each with its webhook delivery
/// written in the same transaction.
/// </summary>
public interface IReplyStore
{
    /// <summary>The operator reply for this portal message, or null.</summary>
    MessageRecord? FindReply(string memberId, int line, string chatId, string imMessageId);

    /// <summary>Records a new reply and queues its delivery; the same portal message again is a duplicate, not queued.</summary>
    StoredReply AddReply(string memberId, string connector, ReplyEvent reply, string changedBy, Func<MessageRecord, ReplyDelivery> delivery);

    /// <summary>Records an operator's edit or delete of a reply; null when unknown, a duplicate when it changes nothing.</summary>
    StoredReply? ChangeReply(string memberId, ReplyEvent reply, string changedBy, Func<MessageRecord, ReplyDelivery> delivery);

    /// <summary>Pending deliveries, oldest first.</summary>
    IReadOnlyList<ReplyDelivery> LoadDeliveries(int max);

    /// <summary>
    /// One portal's pending deliveries, oldest first. A shared store hands a portal's deliveries to one instance at a
    /// time (a lease per portal, renewed by each call and by each outcome recorded; empty for the others meanwhile).
    /// The outcomes below (<see cref="CompleteWebhook"/>, <see cref="CompletePortalStatus"/>, <see cref="FailDelivery"/>,
    /// <see cref="WaitForAddress"/>) are recorded only by the holder: on a shared store they throw
    /// <see cref="DeliveriesHandedOverException"/> and change nothing once another instance took the portal over.
    /// </summary>
    IReadOnlyList<ReplyDelivery> LoadDeliveries(string memberId, int max);

    /// <summary>The portals that have deliveries waiting.</summary>
    IReadOnlyList<string> PortalsWithDeliveries();

    ReplyDelivery? GetDelivery(long id);

    /// <summary>The webhook took the change; see <see cref="MessageStore.CompleteWebhook"/>.</summary>
    /// <exception cref="DeliveriesHandedOverException">Another instance holds the portal's deliveries (shared store).</exception>
    MessageRecord? CompleteWebhook(ReplyDelivery delivery, string answer, string? externalId);

    /// <summary>The portal took the delivery status: nothing is left to do for this change.</summary>
    /// <exception cref="DeliveriesHandedOverException">Another instance holds the portal's deliveries (shared store).</exception>
    void CompletePortalStatus(ReplyDelivery delivery);

    /// <summary>An attempt failed: retried at <paramref name="nextAttemptAt"/>, or given up when null.</summary>
    /// <exception cref="DeliveriesHandedOverException">Another instance holds the portal's deliveries (shared store).</exception>
    MessageRecord? FailDelivery(ReplyDelivery delivery, string reason, DateTime? nextAttemptAt);

    /// <summary>The line has no webhook address: the delivery waits and its message shows Waiting.</summary>
    /// <exception cref="DeliveriesHandedOverException">Another instance holds the portal's deliveries (shared store).</exception>
    MessageRecord? WaitForAddress(ReplyDelivery delivery, string reason, DateTime nextAttemptAt);
}

/// <summary>
/// Thrown when an instance records a reply delivery's outcome for a portal whose deliveries another instance holds now
/// (this one stalled past its lease): nothing was written, and the caller stops working on that portal.
/// </summary>
public sealed class DeliveriesHandedOverException(string memberId)
    : Exception($"Another instance now delivers the replies of portal {memberId}.")
{
    /// <summary>The portal whose deliveries were handed over.</summary>
    public string MemberId { get; } = memberId;
}
