using LineBridge.Components.Messages;
using LineBridge.Replies;
using LineBridge.Storage.LiteDb;
using LiteDB;

namespace LineBridge.Storage;

/// <summary>
/// The message store callers use: the message log (<see cref="Log"/>), the outbox (<see cref="Outbox"/>), reading
/// and search (<see cref="Search"/>) and operator replies (<see cref="Replies"/>), each a contract with a LiteDB and
/// a PostgreSQL implementation (see <c>MessageContracts.cs</c>). The methods here forward to them, so callers that
/// predate the split read as before; new code may take the contract it needs.
/// </summary>
public sealed class MessageStore
{
    /// <summary>Messages per LiteDB search block: a million-message line is about 4,000 documents of one string each.</summary>
    public const int SearchBlockSize = 256;

    /// <summary>
    /// A text search counts its matches up to this many and then stops reading: the total shows as "1,000+" and the
    /// first pages come from the newest messages alone.
    /// </summary>
    public const int SearchTotalCap = 1_000;

    internal static readonly System.Text.Json.JsonSerializerOptions PayloadJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The four contracts, usually one implementation object of one engine.</summary>
    public MessageStore(IMessageLogStore log, IOutboxStore outbox, IMessageSearchStore search, IReplyStore replies)
    {
        Log = log;
        Outbox = outbox;
        Search = search;
        Replies = replies;
    }

    /// <summary>The LiteDB store on <paramref name="db"/> (tests and benchmarks build it this way; internal, so DI sees one constructor).</summary>
    internal MessageStore(LiteDatabase db, TimeProvider time) : this(new LiteDbMessageStore(db, time))
    {
    }

    private MessageStore(LiteDbMessageStore lite) : this(lite, lite, lite, lite)
    {
    }

    /// <summary>Accepting changes and reading messages back (the send API, the editor).</summary>
    public IMessageLogStore Log { get; }

    /// <summary>The work waiting for the portals (the outbox dispatcher, the gauges).</summary>
    public IOutboxStore Outbox { get; }

    /// <summary>Pages and text search (the message table, find-and-replace).</summary>
    public IMessageSearchStore Search { get; }

    /// <summary>Operator replies and their webhook deliveries (the reply handler and dispatcher).</summary>
    public IReplyStore Replies { get; }

    /// <summary>Messages accepted whose LiteDB search entry and counts are still to be written (0 on PostgreSQL, which indexes at once).</summary>
    internal int PendingDerivations => Log is LiteDbMessageStore lite ? lite.PendingDerivations : 0;

    /// <summary>The <c>MESSAGES</c> element without its text (kept once, in the record and its versions).</summary>
    public static string SerializePayload(Bitrix24.Models.ConnectorMessage message) =>
        System.Text.Json.JsonSerializer.Serialize(message with { Message = message.Message with { Text = null } }, PayloadJson);

    /// <exception cref="InvalidDataException">The payload is empty JSON (null).</exception>
    public static Bitrix24.Models.ConnectorMessage DeserializePayload(string payload) =>
        System.Text.Json.JsonSerializer.Deserialize<Bitrix24.Models.ConnectorMessage>(payload, PayloadJson)
        ?? throw new InvalidDataException("A stored message has no payload.");

    /// <summary>
    /// The log's external id of an operator reply: the portal's message id, prefixed so it can never meet an id the
    /// external system chose for a customer message in the same chat.
    /// </summary>
    public static string ReplyExternalId(string imMessageId) => "im:" + imMessageId;

    // ---- the log ----

    /// <inheritdoc cref="IMessageLogStore.Add"/>
    public IReadOnlyList<AddedMessage> Add(IReadOnlyList<NewMessage> messages, string changedBy, string source) =>
        Log.Add(messages, changedBy, source);

    /// <inheritdoc cref="IMessageLogStore.AddAsync"/>
    public Task<IReadOnlyList<AddedMessage>> AddAsync(IReadOnlyList<NewMessage> messages, string changedBy, string source) =>
        Log.AddAsync(messages, changedBy, source);

    /// <inheritdoc cref="IMessageLogStore.Change"/>
    public ChangeResult Change(
        string memberId, ObjectId messageId, ChangeKind kind, int? expectedVersion, string? newText, string changedBy, string source) =>
        Log.Change(memberId, messageId, kind, expectedVersion, newText, changedBy, source);

    /// <inheritdoc cref="IMessageLogStore.EditMany"/>
    public IReadOnlyList<ChangeResult> EditMany(
        string memberId, IReadOnlyList<(ObjectId MessageId, int? ExpectedVersion, string Text)> edits, string changedBy, string source) =>
        Log.EditMany(memberId, edits, changedBy, source);

    /// <summary>
    /// Queues a failed message's last change again: the send, when the portal never got the message (preceded by a
    /// delete of its id, a no-op when it is not there, so a send whose fate was unclear cannot arrive twice), or else
    /// its current text or its delete. Rejected when the message has not failed or still has work waiting.
    /// </summary>
    public ChangeResult Retry(string memberId, ObjectId messageId, string changedBy) => Log.Retry(memberId, messageId, changedBy);

    /// <inheritdoc cref="IMessageLogStore.Get"/>
    public MessageRecord? Get(string memberId, ObjectId id) => Log.Get(memberId, id);

    /// <inheritdoc cref="IMessageLogStore.GetById"/>
    public MessageRecord? GetById(ObjectId id) => Log.GetById(id);

    /// <inheritdoc cref="IMessageLogStore.FindByExternal"/>
    public MessageRecord? FindByExternal(string memberId, int line, string chatId, string externalMessageId) =>
        Log.FindByExternal(memberId, line, chatId, externalMessageId);

    /// <inheritdoc cref="IMessageLogStore.GetVersions"/>
    public IReadOnlyList<MessageVersionRecord> GetVersions(string memberId, ObjectId messageId) => Log.GetVersions(memberId, messageId);

    /// <inheritdoc cref="IMessageLogStore.ImportDelivered"/>
    internal void ImportDelivered(IReadOnlyList<NewMessage> messages, DateTime createdAtUtc) => Log.ImportDelivered(messages, createdAtUtc);

    // ---- reading ----

    /// <inheritdoc cref="IMessageSearchStore.QueryPage"/>
    public LogPage QueryPage(string memberId, MessageQuery query) => Search.QueryPage(memberId, query);

    /// <inheritdoc cref="IMessageSearchStore.FindContaining"/>
    public IReadOnlyList<MessageRecord> FindContaining(string memberId, int line, string? chatId, string find, int max) =>
        Search.FindContaining(memberId, line, chatId, find, max);

    // ---- the outbox ----

    /// <inheritdoc cref="IOutboxStore.Claim"/>
    public IReadOnlyList<OutboxItem> LoadOutbox(int max) => Outbox.Claim(max);

    /// <inheritdoc cref="IOutboxStore.ClaimOf"/>
    public IReadOnlyList<OutboxItem> LoadOutboxOf(string memberId, int max) => Outbox.ClaimOf(memberId, max);

    /// <inheritdoc cref="IOutboxStore.HasPendingWork"/>
    public bool HasPendingWork() => Outbox.HasPendingWork();

    /// <inheritdoc cref="IOutboxStore.MarkInFlight"/>
    public IReadOnlyList<OutboxItem> MarkInFlight(IReadOnlyList<OutboxItem> items) => Outbox.MarkInFlight(items);

    /// <inheritdoc cref="IOutboxStore.RecoverInFlight"/>
    public int RecoverInFlight() => Outbox.RecoverInFlight();

    /// <inheritdoc cref="IOutboxStore.Reschedule"/>
    public void Reschedule(IReadOnlyList<OutboxItem> items, string error, DateTime nextAttemptAt, bool deleteFirst) =>
        Outbox.Reschedule(items, error, nextAttemptAt, deleteFirst);

    /// <inheritdoc cref="IOutboxStore.ClearDeleteFirst"/>
    public void ClearDeleteFirst(IReadOnlyList<OutboxItem> items) => Outbox.ClearDeleteFirst(items);

    /// <inheritdoc cref="IOutboxStore.Complete"/>
    public IReadOnlyList<MessageRecord> Complete(IReadOnlyList<OutboxCompletion> completions) => Outbox.Complete(completions);

    /// <inheritdoc cref="IOutboxStore.MarkWaiting"/>
    public IReadOnlyList<MessageRecord> MarkWaiting(IReadOnlyList<ObjectId> messageIds, string reason) => Outbox.MarkWaiting(messageIds, reason);

    /// <summary>
    /// Puts items back without counting an attempt: the portal refused them before running them (line off, app
    /// uninstalled, payment required), so they are neither in flight nor in need of a delete first.
    /// </summary>
    /// <param name="items">The items to put back.</param>
    /// <param name="notBefore">When the next attempt may be made; null leaves it to the gate alone.</param>
    public void Hold(IReadOnlyList<OutboxItem> items, DateTime? notBefore = null) => Outbox.Hold(items, notBefore);

    /// <inheritdoc cref="IOutboxStore.CountPending"/>
    public int CountPending(string memberId, int line) => Outbox.CountPending(memberId, line);

    /// <inheritdoc cref="IOutboxStore.NoteRetry"/>
    public IReadOnlyList<MessageRecord> NoteRetry(IReadOnlyList<OutboxItem> items, string reason) => Outbox.NoteRetry(items, reason);

    // ---- operator replies ----

    /// <inheritdoc cref="IReplyStore.FindReply"/>
    public MessageRecord? FindReply(string memberId, int line, string chatId, string imMessageId) =>
        Replies.FindReply(memberId, line, chatId, imMessageId);

    /// <inheritdoc cref="IReplyStore.AddReply"/>
    public StoredReply AddReply(string memberId, string connector, ReplyEvent reply, string changedBy, Func<MessageRecord, ReplyDelivery> delivery) =>
        Replies.AddReply(memberId, connector, reply, changedBy, delivery);

    /// <inheritdoc cref="IReplyStore.ChangeReply"/>
    public StoredReply? ChangeReply(string memberId, ReplyEvent reply, string changedBy, Func<MessageRecord, ReplyDelivery> delivery) =>
        Replies.ChangeReply(memberId, reply, changedBy, delivery);

    /// <inheritdoc cref="IReplyStore.LoadDeliveries(int)"/>
    public IReadOnlyList<ReplyDelivery> LoadDeliveries(int max) => Replies.LoadDeliveries(max);

    /// <inheritdoc cref="IReplyStore.LoadDeliveries(string, int)"/>
    public IReadOnlyList<ReplyDelivery> LoadDeliveries(string memberId, int max) => Replies.LoadDeliveries(memberId, max);

    /// <inheritdoc cref="IReplyStore.PortalsWithDeliveries"/>
    public IReadOnlyList<string> PortalsWithDeliveries() => Replies.PortalsWithDeliveries();

    /// <inheritdoc cref="IReplyStore.GetDelivery"/>
    public ReplyDelivery? GetDelivery(long id) => Replies.GetDelivery(id);

    /// <summary>
    /// The webhook took the change. A new reply moves on to the portal's delivery status; anything else is done.
    /// The message turns Sent (Deleted for a delete) unless more of its changes wait.
    /// </summary>
    public MessageRecord? CompleteWebhook(ReplyDelivery delivery, string answer, string? externalId) =>
        Replies.CompleteWebhook(delivery, answer, externalId);

    /// <inheritdoc cref="IReplyStore.CompletePortalStatus"/>
    public void CompletePortalStatus(ReplyDelivery delivery) => Replies.CompletePortalStatus(delivery);

    /// <inheritdoc cref="IReplyStore.FailDelivery"/>
    public MessageRecord? FailDelivery(ReplyDelivery delivery, string reason, DateTime? nextAttemptAt) =>
        Replies.FailDelivery(delivery, reason, nextAttemptAt);

    /// <inheritdoc cref="IReplyStore.WaitForAddress"/>
    public MessageRecord? WaitForAddress(ReplyDelivery delivery, string reason, DateTime nextAttemptAt) =>
        Replies.WaitForAddress(delivery, reason, nextAttemptAt);
}
