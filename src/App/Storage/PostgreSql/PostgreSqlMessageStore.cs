using System.Data;
using Dapper;
using LineBridge.Components.Messages;
using LiteDB;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// The message log, its versions, the outbox, search and operator replies in PostgreSQL (tables of schema v3), shared
/// by every instance on the database. Each accepted change writes the message, its version and its outbox item in
/// one transaction, durable at commit (<c>synchronous_commit=on</c>): no group-commit workers are needed, concurrent
/// callers commit side by side. Read-check-write steps (idempotency, version checks, settling a status) lock the
/// message row (<c>FOR NO KEY UPDATE</c>), so two instances changing one message take turns. Outbox items are claimed
/// with a lease (see <see cref="Claim"/>).
/// </summary>
public sealed partial class PostgreSqlMessageStore : IMessageLogStore, IOutboxStore, IMessageSearchStore, IReplyStore
{
    internal const string MessageColumns = """
        id AS Id, member_id AS MemberId, connector AS Connector, line AS Line, chat_id AS ChatId, chat_name AS ChatName,
        external_message_id AS ExternalMessageId, external_user_id AS ExternalUserId, external_user_name AS ExternalUserName,
        payload AS Payload, text AS Text, portal_text AS PortalText, has_files AS HasFiles, status AS Status,
        failure_reason AS FailureReason, delivered AS Delivered, delete_requested AS DeleteRequested, version AS Version,
        last_edited_by AS LastEditedBy, created_at AS CreatedAt, updated_at AS UpdatedAt, portal_user_id AS PortalUserId,
        session_id AS SessionId, portal_chat_id AS PortalChatId, direction AS Direction, im_chat_id AS ImChatId,
        im_message_id AS ImMessageId, delivered_as AS DeliveredAs
        """;

    private const string VersionColumns = """
        id AS Id, message_id AS MessageId, member_id AS MemberId, version AS Version, kind AS Kind, old_text AS OldText,
        new_text AS NewText, changed_by AS ChangedBy, source AS Source, changed_at AS ChangedAt, status AS Status,
        portal_answer AS PortalAnswer
        """;

    private readonly PostgreSqlDatabase _database;
    private readonly TimeProvider _time;

    static PostgreSqlMessageStore() => SqlMapper.AddTypeHandler(new ObjectIdHandler());

    /// <param name="database">The shared database (migrated on first use).</param>
    /// <param name="time">The clock for timestamps and leases.</param>
    /// <param name="lease">How long a claimed outbox item stays with this instance without a new claim; another
    /// instance takes it over afterwards. Longer than one delivery round (including rate-limit waits).</param>
    public PostgreSqlMessageStore(PostgreSqlDatabase database, TimeProvider time, TimeSpan? lease = null)
    {
        _database = database;
        _time = time;
        Lease = lease ?? DefaultLease;
        if (Lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lease), "The outbox lease must be positive.");
    }

    /// <summary>The default outbox lease: 2 minutes.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromMinutes(2);

    /// <summary>How long a claimed outbox item stays with this instance.</summary>
    public TimeSpan Lease { get; }

    /// <summary>This store's name as an outbox holder: unique per process (a restarted process is a new holder).</summary>
    public string Owner { get; } = $"{Environment.ProcessId}-{Guid.NewGuid():N}";

    // ---- the log ----

    public IReadOnlyList<AddedMessage> Add(IReadOnlyList<NewMessage> messages, string changedBy, string source) =>
        AddAsync(messages, changedBy, source).GetAwaiter().GetResult();

    // Commit is the durable point on PostgreSQL, and the server overlaps concurrent commits itself: no group commit.
    // Asynchronous all the way, so the send API's many concurrent requests wait without holding threads.
    public async Task<IReadOnlyList<AddedMessage>> AddAsync(IReadOnlyList<NewMessage> messages, string changedBy, string source)
    {
        var now = Now();
        _database.Migrate();
        await using var c = await _database.DataSource.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var added = new List<AddedMessage>(messages.Count);
        var records = new List<MessageRecord>(messages.Count);
        foreach (var m in messages)
        {
            var externalId = m.Message.Message.Id ?? throw new ArgumentException("Every message needs an id.", nameof(messages));
            var text = m.Message.Message.Text ?? "";
            var record = new MessageRecord
            {
                Id = ObjectId.NewObjectId(),
                MemberId = m.MemberId,
                Connector = m.Connector,
                Line = m.Line,
                ChatId = m.Message.Chat.Id,
                ChatName = m.Message.Chat.Name,
                ExternalMessageId = externalId,
                ExternalUserId = m.Message.User.Id,
                ExternalUserName = string.Join(' ', new[] { m.Message.User.Name, m.Message.User.LastName }
                    .Where(s => !string.IsNullOrWhiteSpace(s))) is { Length: > 0 } name ? name : null,
                Payload = MessageStore.SerializePayload(m.Message),
                Text = text,
                HasFiles = m.Message.Message.Files is { Count: > 0 },
                Status = MessageStatus.Queued,
                Version = 1,
                CreatedAt = now,
                UpdatedAt = now,
            };
            records.Add(record);
        }
        // One statement for the whole request: the messages, then the versions and outbox items of those that were
        // new (in request order, so outbox ids follow acceptance). A concurrent accept of the same id (another
        // request, another instance) waits for ours and then skips it.
        var inserted = (await c.QueryAsync<string>(AddMessages, new
        {
            ids = records.Select(r => r.Id.ToString()).ToArray(),
            versionIds = records.Select(_ => ObjectId.NewObjectId().ToString()).ToArray(),
            members = records.Select(r => r.MemberId).ToArray(),
            connectors = records.Select(r => r.Connector).ToArray(),
            lines = records.Select(r => r.Line).ToArray(),
            chats = records.Select(r => r.ChatId).ToArray(),
            chatNames = records.Select(r => r.ChatName).ToArray(),
            externalIds = records.Select(r => r.ExternalMessageId).ToArray(),
            userIds = records.Select(r => r.ExternalUserId).ToArray(),
            userNames = records.Select(r => r.ExternalUserName).ToArray(),
            payloads = records.Select(r => r.Payload).ToArray(),
            texts = records.Select(r => r.Text).ToArray(),
            searchTexts = records.Select(r => SearchText(r.Text)).ToArray(),
            hasFiles = records.Select(r => r.HasFiles).ToArray(),
            now = Utc(now), changedBy, source,
        }, tx)).ToHashSet(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (inserted.Contains(record.Id.ToString()))
            {
                added.Add(new AddedMessage(record, Duplicate: false));
                continue;
            }
            var existing = await c.QuerySingleAsync<MessageRecord>(SelectByExternal,
                new { memberId = record.MemberId, line = record.Line, chatId = record.ChatId, externalMessageId = record.ExternalMessageId }, tx);
            added.Add(new AddedMessage(existing, Duplicate: true));
        }
        await tx.CommitAsync();
        return added;
    }

    private const string AddMessages = """
        WITH input AS (
            SELECT * FROM unnest(@ids::text[], @versionIds::text[], @members::text[], @connectors::text[], @lines::integer[],
                @chats::text[], @chatNames::text[], @externalIds::text[], @userIds::text[], @userNames::text[], @payloads::text[],
                @texts::text[], @searchTexts::text[], @hasFiles::boolean[]) WITH ORDINALITY
                AS t(id, version_id, member_id, connector, line, chat_id, chat_name, external_message_id, external_user_id,
                     external_user_name, payload, text, search_text, has_files, ord)),
        inserted AS (
            INSERT INTO messages (id, member_id, connector, line, chat_id, chat_name, external_message_id, external_user_id,
                external_user_name, payload, text, has_files, status, delivered, delete_requested, version,
                created_at, updated_at, direction)
            SELECT id, member_id, connector, line, chat_id, chat_name, external_message_id, external_user_id,
                external_user_name, payload, text, has_files, 'Queued', false, false, 1, @now, @now, 'Incoming'
            FROM input ORDER BY ord
            ON CONFLICT ON CONSTRAINT messages_external DO NOTHING
            RETURNING id),
        searched AS (
            INSERT INTO message_search (id, member_id, line, created_at, search_text)
            SELECT i.id, i.member_id, i.line, @now, i.search_text
            FROM input i JOIN inserted n ON n.id = i.id ORDER BY i.ord),
        versions AS (
            INSERT INTO message_versions (id, message_id, member_id, version, kind, new_text, changed_by, source, changed_at, status)
            SELECT i.version_id, i.id, i.member_id, 1, 'Send', i.text, @changedBy, @source, @now, 'Queued'
            FROM input i JOIN inserted n ON n.id = i.id),
        outbox AS (
            INSERT INTO message_outbox (member_id, connector, line, kind, message_id, version, text, next_attempt_at, delete_first, accepted_at)
            SELECT i.member_id, i.connector, i.line, 'Send', i.id, 1, i.text, @now, false, @now
            FROM input i JOIN inserted n ON n.id = i.id ORDER BY i.ord)
        SELECT id FROM inserted
        """;

    public ChangeResult Change(
        string memberId, ObjectId messageId, ChangeKind kind, int? expectedVersion, string? newText, string changedBy, string source) =>
        InTransaction((c, tx) => ChangeWithin(c, tx, memberId, messageId, kind, expectedVersion, newText, changedBy, source));

    public IReadOnlyList<ChangeResult> EditMany(
        string memberId, IReadOnlyList<(ObjectId MessageId, int? ExpectedVersion, string Text)> edits, string changedBy, string source) =>
        InTransaction((c, tx) => edits
            .Select(e => ChangeWithin(c, tx, memberId, e.MessageId, ChangeKind.Edit, e.ExpectedVersion, e.Text, changedBy, source))
            .ToList());

    private ChangeResult ChangeWithin(
        NpgsqlConnection c, NpgsqlTransaction tx, string memberId, ObjectId messageId, ChangeKind kind, int? expectedVersion,
        string? newText, string changedBy, string source)
    {
        if (kind == ChangeKind.Send) throw new ArgumentException("Sends are added, not changed.", nameof(kind));
        var record = Load(c, tx, messageId, forUpdate: true);
        if (record is null || record.MemberId != memberId) return new(ChangeOutcome.NotFound);
        if (expectedVersion is { } expected && expected != record.Version) return new(ChangeOutcome.Conflict, record);
        if (record.Direction == MessageDirection.Outgoing)
        {
            return new(ChangeOutcome.Rejected, record, "This is an operator's reply; edit it in the open line.");
        }
        if (record.DeleteRequested)
        {
            return new(ChangeOutcome.Rejected, record, "The message was deleted; it can no longer be changed.");
        }
        if (record.Status == MessageStatus.Failed && !record.Delivered && !HasPending(c, tx, record.Id))
        {
            return new(ChangeOutcome.Rejected, record,
                $"The message never reached the portal ({record.FailureReason}); there is nothing to change.");
        }
        var now = Now();
        var oldText = record.Text;
        record.Version++;
        record.Status = MessageStatus.Queued;
        record.FailureReason = null;
        record.LastEditedBy = changedBy;
        record.UpdatedAt = now;
        if (kind == ChangeKind.Edit) record.Text = newText ?? "";
        else record.DeleteRequested = true;
        Save(c, tx, record);
        AddVersion(c, tx, record, kind, oldText, changedBy, source, now);
        InsertOutbox(c, tx, record, kind, kind == ChangeKind.Edit ? record.Text : null, now, deleteFirst: false);
        return new(ChangeOutcome.Accepted, record);
    }

    public ChangeResult Retry(string memberId, ObjectId messageId, string changedBy) => InTransaction((c, tx) =>
    {
        var record = Load(c, tx, messageId, forUpdate: true);
        if (record is null || record.MemberId != memberId) return new ChangeResult(ChangeOutcome.NotFound);
        if (record.Direction == MessageDirection.Outgoing)
        {
            return new(ChangeOutcome.Rejected, record, "This is an operator's reply; its delivery to the webhook is retried by LineBridge itself.");
        }
        if (record.Status != MessageStatus.Failed || HasPending(c, tx, record.Id))
        {
            return new(ChangeOutcome.Rejected, record, $"Only a failed message can be retried; this one is {record.Status}.");
        }
        var now = Now();
        var kind = !record.Delivered ? ChangeKind.Send : record.DeleteRequested ? ChangeKind.Delete : ChangeKind.Edit;
        record.Status = MessageStatus.Queued;
        record.FailureReason = null;
        record.UpdatedAt = now;
        Save(c, tx, record);
        SetVersionStatus(c, tx, record.Id, record.Version, MessageStatus.Queued, $"Retried by {changedBy}.");
        InsertOutbox(c, tx, record, kind, kind == ChangeKind.Delete ? null : record.Text, now, deleteFirst: kind == ChangeKind.Send);
        return new ChangeResult(ChangeOutcome.Accepted, record);
    });

    public MessageRecord? Get(string memberId, ObjectId id) => GetById(id) is { } r && r.MemberId == memberId ? r : null;

    public MessageRecord? GetById(ObjectId id)
    {
        using var c = _database.Open();
        return Load(c, null, id, forUpdate: false);
    }

    public IReadOnlyList<MessageRecord?> GetByIds(IReadOnlyList<ObjectId> ids)
    {
        if (ids.Count == 0) return [];
        using var c = _database.Open();
        var found = c.Query<MessageRecord>($"SELECT {MessageColumns} FROM messages WHERE id = ANY(@ids)", new { ids = Ids(ids) })
            .ToDictionary(r => r.Id);
        return ids.Select(id => found.GetValueOrDefault(id)).ToList();
    }

    public MessageRecord? FindByExternal(string memberId, int line, string chatId, string externalMessageId)
    {
        using var c = _database.Open();
        return FindByExternal(c, null, memberId, line, chatId, externalMessageId);
    }

    public IReadOnlyList<MessageVersionRecord> GetVersions(string memberId, ObjectId messageId)
    {
        using var c = _database.Open();
        return c.Query<MessageVersionRecord>(
            $"SELECT {VersionColumns} FROM message_versions WHERE message_id = @id AND member_id = @memberId ORDER BY version",
            new { id = messageId.ToString(), memberId }).ToList();
    }

    public void ImportDelivered(IReadOnlyList<NewMessage> messages, DateTime createdAtUtc) => InTransaction((c, tx) =>
    {
        var at = Utc(createdAtUtc);
        foreach (var m in messages)
        {
            var text = m.Message.Message.Text ?? "";
            var record = new MessageRecord
            {
                Id = ObjectId.NewObjectId(),
                MemberId = m.MemberId,
                Connector = m.Connector,
                Line = m.Line,
                ChatId = m.Message.Chat.Id,
                ChatName = m.Message.Chat.Name,
                ExternalMessageId = m.Message.Message.Id!,
                ExternalUserId = m.Message.User.Id,
                ExternalUserName = m.Message.User.Name,
                Payload = MessageStore.SerializePayload(m.Message),
                Text = text,
                Status = MessageStatus.Sent,
                Delivered = true,
                CreatedAt = at,
                UpdatedAt = at,
            };
            if (!TryInsert(c, tx, record)) continue;   // already there: seeding twice adds nothing
            c.Execute("""
                INSERT INTO message_versions (id, message_id, member_id, version, kind, new_text, changed_by, source, changed_at, status, portal_answer)
                VALUES (@Id, @MessageId, @MemberId, 1, 'Send', @Text, 'API', 'API', @At, 'Sent', 'SUCCESS')
                """, new { Id = ObjectId.NewObjectId().ToString(), MessageId = record.Id.ToString(), record.MemberId, record.Text, At = at }, tx);
        }
        return 0;
    });

    // ---- helpers shared by the parts ----

    // The statement's count is the search row's: 1 when the message was new, 0 when its external id was already there.
    private static bool TryInsert(NpgsqlConnection c, NpgsqlTransaction tx, MessageRecord r) => c.Execute(InsertMessage, Parameters(r), tx) == 1;

    /// <summary>Inserts a message and, in the same statement, its row in <c>message_search</c>; nothing if it is there already.</summary>
    private const string InsertMessage = """
        WITH inserted AS (
            INSERT INTO messages (id, member_id, connector, line, chat_id, chat_name, external_message_id, external_user_id,
                external_user_name, payload, text, portal_text, has_files, status, failure_reason, delivered,
                delete_requested, version, last_edited_by, created_at, updated_at, portal_user_id, session_id, portal_chat_id,
                direction, im_chat_id, im_message_id, delivered_as)
            VALUES (@Id, @MemberId, @Connector, @Line, @ChatId, @ChatName, @ExternalMessageId, @ExternalUserId,
                @ExternalUserName, @Payload, @Text, @PortalText, @HasFiles, @Status, @FailureReason, @Delivered,
                @DeleteRequested, @Version, @LastEditedBy, @CreatedAt, @UpdatedAt, @PortalUserId, @SessionId, @PortalChatId,
                @Direction, @ImChatId, @ImMessageId, @DeliveredAs)
            ON CONFLICT ON CONSTRAINT messages_external DO NOTHING
            RETURNING id, member_id, line, created_at)
        INSERT INTO message_search (id, member_id, line, created_at, search_text)
        SELECT id, member_id, line, created_at, @SearchText FROM inserted
        """;

    /// <summary>
    /// Writes a changed record's mutable columns; its search row follows its text in the same statement (and is left
    /// alone, no new row version, when only the status or the delivery changed).
    /// </summary>
    private static void Save(NpgsqlConnection c, NpgsqlTransaction tx, MessageRecord r) => c.Execute("""
        WITH searched AS (
            UPDATE message_search SET search_text = @SearchText WHERE id = @Id AND search_text <> @SearchText)
        UPDATE messages SET text = @Text, portal_text = @PortalText, status = @Status,
            failure_reason = @FailureReason, delivered = @Delivered, delete_requested = @DeleteRequested,
            version = @Version, last_edited_by = @LastEditedBy, updated_at = @UpdatedAt, portal_user_id = @PortalUserId,
            session_id = @SessionId, portal_chat_id = @PortalChatId, delivered_as = @DeliveredAs
        WHERE id = @Id
        """, Parameters(r), tx);

    private static object Parameters(MessageRecord r) => new
    {
        Id = r.Id.ToString(), r.MemberId, r.Connector, r.Line, r.ChatId, r.ChatName, r.ExternalMessageId, r.ExternalUserId,
        r.ExternalUserName, r.Payload, r.Text, SearchText = SearchText(r.Text), r.PortalText, r.HasFiles,
        Status = r.Status.ToString(), r.FailureReason, r.Delivered, r.DeleteRequested, r.Version, r.LastEditedBy,
        CreatedAt = Utc(r.CreatedAt), UpdatedAt = Utc(r.UpdatedAt), r.PortalUserId, r.SessionId, r.PortalChatId,
        Direction = r.Direction.ToString(), r.ImChatId, r.ImMessageId, r.DeliveredAs,
    };

    /// <summary>What text search compares: the text lower-cased by .NET (invariant), so the database's locale does not matter.</summary>
    internal static string SearchText(string text) => text.ToLowerInvariant();

    private static MessageRecord? Load(NpgsqlConnection c, NpgsqlTransaction? tx, ObjectId id, bool forUpdate) =>
        c.QuerySingleOrDefault<MessageRecord>(
            $"SELECT {MessageColumns} FROM messages WHERE id = @id" + (forUpdate ? " FOR NO KEY UPDATE" : ""),
            new { id = id.ToString() }, tx);

    private const string SelectByExternal = $"""
        SELECT {MessageColumns} FROM messages
        WHERE member_id = @memberId AND line = @line AND chat_id = @chatId AND external_message_id = @externalMessageId
        """;

    private static MessageRecord? FindByExternal(
        NpgsqlConnection c, NpgsqlTransaction? tx, string memberId, int line, string chatId, string externalMessageId, bool forUpdate = false) =>
        c.QuerySingleOrDefault<MessageRecord>(SelectByExternal + (forUpdate ? " FOR NO KEY UPDATE" : ""),
            new { memberId, line, chatId, externalMessageId }, tx);

    private const string InsertVersion = """
        INSERT INTO message_versions (id, message_id, member_id, version, kind, old_text, new_text, changed_by, source, changed_at, status)
        VALUES (@Id, @MessageId, @MemberId, @Version, @Kind, @OldText, @NewText, @ChangedBy, @Source, @ChangedAt, 'Queued')
        """;

    private static void AddVersion(
        NpgsqlConnection c, NpgsqlTransaction tx, MessageRecord record, ChangeKind kind, string? oldText, string changedBy, string source, DateTime now) =>
        c.Execute(InsertVersion, VersionParameters(record, kind, oldText, changedBy, source, now), tx);

    private static object VersionParameters(MessageRecord record, ChangeKind kind, string? oldText, string changedBy, string source, DateTime now) => new
    {
        Id = ObjectId.NewObjectId().ToString(), MessageId = record.Id.ToString(), record.MemberId, record.Version,
        Kind = kind.ToString(), OldText = oldText, NewText = kind == ChangeKind.Delete ? "" : record.Text,
        ChangedBy = changedBy, Source = source, ChangedAt = Utc(now),
    };

    private static void SetVersionStatus(NpgsqlConnection c, NpgsqlTransaction tx, ObjectId messageId, int version, MessageStatus status, string answer) =>
        c.Execute("UPDATE message_versions SET status = @status, portal_answer = @answer WHERE message_id = @id AND version = @version",
            new { id = messageId.ToString(), version, status = status.ToString(), answer }, tx);

    private const string InsertOutboxItem = """
        INSERT INTO message_outbox (member_id, connector, line, kind, message_id, version, text, next_attempt_at, delete_first, accepted_at)
        VALUES (@MemberId, @Connector, @Line, @Kind, @MessageId, @Version, @Text, @Now, @DeleteFirst, @Now)
        """;

    private static void InsertOutbox(
        NpgsqlConnection c, NpgsqlTransaction tx, MessageRecord record, ChangeKind kind, string? text, DateTime now, bool deleteFirst) =>
        c.Execute(InsertOutboxItem, OutboxParameters(record, kind, text, now, deleteFirst), tx);

    private static object OutboxParameters(MessageRecord record, ChangeKind kind, string? text, DateTime now, bool deleteFirst) => new
    {
        record.MemberId, record.Connector, record.Line, Kind = kind.ToString(), MessageId = record.Id.ToString(),
        record.Version, Text = text, Now = Utc(now), DeleteFirst = deleteFirst,
    };

    private static bool HasPending(NpgsqlConnection c, NpgsqlTransaction tx, ObjectId messageId) =>
        c.ExecuteScalar<bool>("SELECT EXISTS (SELECT 1 FROM message_outbox WHERE message_id = @id)", new { id = messageId.ToString() }, tx);

    private T InTransaction<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work)
    {
        using var c = _database.Open();
        using var tx = c.BeginTransaction(IsolationLevel.ReadCommitted);
        var result = work(c, tx);
        tx.Commit();
        return result;
    }

    // Milliseconds, as on LiteDB: a time read back equals the time handed out.
    private DateTime Now()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }

    private static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    private static string[] Ids(IEnumerable<ObjectId> ids) => ids.Select(i => i.ToString()).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>ObjectIds travel as their 24 lower-case hex digits (the columns <c>id</c>, <c>message_id</c>).</summary>
    private sealed class ObjectIdHandler : SqlMapper.TypeHandler<ObjectId>
    {
        public override ObjectId Parse(object value) => new((string)value);

        public override void SetValue(IDbDataParameter parameter, ObjectId? value)
        {
            parameter.DbType = DbType.String;
            parameter.Value = value?.ToString() ?? (object)DBNull.Value;
        }
    }
}
