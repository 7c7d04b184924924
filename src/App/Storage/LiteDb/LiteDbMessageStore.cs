using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LiteDB;

namespace LineBridge.Storage.LiteDb;

/// <summary>
/// The message log, its versions and the outbox, in LiteDB. Every change to a message and the outbox item that
/// carries it to the portal are written in one transaction, so an accepted change is never lost and never sent
/// without its record. Writes are serialized by one gate: LiteDB transactions belong to a thread, and a
/// read-check-write (idempotency, version check) must not interleave with another.
/// </summary>
public sealed partial class LiteDbMessageStore : IMessageLogStore, IOutboxStore, IMessageSearchStore, IReplyStore
{
    internal const string MessagesCollection = "messages";
    internal const string VersionsCollection = "message_versions";
    internal const string OutboxCollection = "message_outbox";
    internal const string CountsCollection = "message_counts";
    internal const string TextBlocksCollection = "message_text_blocks";

    private readonly LiteDatabase _db;
    /// <summary>Null for a database not opened by <see cref="DurableLiteDatabase.Open"/> (in-memory ones in tests).</summary>
    private readonly DurableLiteDatabase? _durable;
    private readonly TimeProvider _time;
    private readonly Lock _gate;
    private readonly ILiteCollection<MessageRecord> _messages;
    private readonly ILiteCollection<MessageVersionRecord> _versions;
    private readonly ILiteCollection<OutboxItem> _outbox;
    private readonly ILiteCollection<BsonDocument> _counts;
    private readonly ILiteCollection<MessageTextBlock> _blocks;

    public LiteDbMessageStore(LiteDatabase db, TimeProvider time)
    {
        _db = db;
        _durable = db as DurableLiteDatabase;
        _gate = _durable?.WriteGate ?? new Lock();   // one writer per file: see DurableLiteDatabase.WriteGate
        _time = time;
        _committer = new Worker(CommitNextGroup);
        _deriver = new Worker(DeriveNextBatch);
        _derive = db.GetCollection<PendingDerivation>(DeriveCollection, BsonAutoId.Int64);
        _syncer = new Worker(SyncCommittedGroups);
        _messages = db.GetCollection<MessageRecord>(MessagesCollection);
        _versions = db.GetCollection<MessageVersionRecord>(VersionsCollection);
        _outbox = db.GetCollection<OutboxItem>(OutboxCollection, BsonAutoId.Int64);
        _counts = db.GetCollection(CountsCollection);
        _blocks = db.GetCollection<MessageTextBlock>(TextBlocksCollection);

        // Building an index writes pages: under the write gate, since other stores' workers may already be writing.
        LiteDbCollections.Write(db, () =>
        {
            _messages.EnsureIndex(nameof(MessageRecord.LineTimeKey), "$.LineTimeKey");
            _messages.EnsureIndex(nameof(MessageRecord.ChatTimeKey), "$.ChatTimeKey");
            _messages.EnsureIndex(nameof(MessageRecord.StatusTimeKey), "$.StatusTimeKey");
            // Binary keys are named explicitly: a lambda over byte[] would index each byte (a multikey index).
            _messages.EnsureIndex(nameof(MessageRecord.ExternalKey), "$.ExternalKey", unique: true);
            _versions.EnsureIndex(x => x.MessageId);
            _outbox.EnsureIndex(x => x.MessageId);
            _outbox.EnsureIndex(x => x.MemberId);
        });
    }

    /// <summary>
    /// Records new messages and queues their sends. A message whose (line, chat id, message id) is already recorded
    /// is not added again: it comes back as a duplicate with its existing record.
    /// </summary>
    public IReadOnlyList<AddedMessage> Add(IReadOnlyList<NewMessage> messages, string changedBy, string source)
    {
        var now = Now();
        IReadOnlyList<AddedMessage> added = [];
        InTransaction(() => added = AddWithin(messages, changedBy, source, now));
        return added;
    }

    /// <summary>
    /// <see cref="Add"/> with group commit, for the send API: requests that arrive while a commit is under way wait
    /// and then share the next transaction and the next <c>fsync</c>, so throughput follows the number of callers
    /// instead of the disk's flush rate. Each caller hears back only after its messages are durable.
    /// </summary>
    /// <remarks>
    /// Two dedicated workers, never a caller, do the work: the committer writes each group in one transaction; the
    /// syncer waits until everything committed so far is on the disk (one <c>fsync</c> for all the groups that
    /// committed meanwhile) and then answers those groups. While one group is being flushed the next one is being
    /// written, and no caller waits on work beyond the group it joined and the flush after it.
    /// </remarks>
    public Task<IReadOnlyList<AddedMessage>> AddAsync(IReadOnlyList<NewMessage> messages, string changedBy, string source)
    {
        var pending = new PendingAdd(messages, changedBy, source);
        _pendingAdds.Enqueue(pending);
        _committer.Poke();
        return pending.Result.Task;
    }

    private sealed record PendingAdd(IReadOnlyList<NewMessage> Messages, string ChangedBy, string Source)
    {
        // Continuations run elsewhere: the committer must not run request code.
        public TaskCompletionSource<IReadOnlyList<AddedMessage>> Result { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<AddedMessage>? Added { get; set; }
    }

    /// <summary>Requests in one group: at most this many messages in one transaction (a request is never split).</summary>
    private const int MaxGroupMessages = 2_000;

    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingAdd> _pendingAdds = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<List<PendingAdd>> _committedGroups = new();
    private readonly Worker _committer;
    private readonly Worker _syncer;

    /// <summary>Committer: takes the waiting requests (up to <see cref="MaxGroupMessages"/>) into one transaction.</summary>
    private bool CommitNextGroup()
    {
        var group = new List<PendingAdd>();
        var size = 0;
        while (size < MaxGroupMessages && _pendingAdds.TryDequeue(out var pending))
        {
            group.Add(pending);
            size += pending.Messages.Count;
        }
        if (group.Count == 0) return false;
        var committed = CommitGroup(group);
        if (committed.Count > 0)
        {
            _committedGroups.Enqueue(committed);
            _syncer.Poke();
        }
        return true;
    }

    /// <summary>Syncer: one flush for every group committed so far, then their answers.</summary>
    private bool SyncCommittedGroups()
    {
        var groups = new List<List<PendingAdd>>();
        while (_committedGroups.TryDequeue(out var group)) groups.Add(group);
        if (groups.Count == 0) return false;
        try
        {
            _durable?.WaitDurable();
        }
        catch (Exception ex)
        {
            foreach (var pending in groups.SelectMany(g => g)) pending.Result.SetException(ex);
            return true;
        }
        foreach (var pending in groups.SelectMany(g => g)) pending.Result.SetResult(pending.Added!);
        return true;
    }

    /// <summary>Commits a group (not yet flushed); returns the requests that now wait for the flush.</summary>
    private List<PendingAdd> CommitGroup(List<PendingAdd> group)
    {
        var now = Now();
        try
        {
            CommitTransaction(() =>
            {
                foreach (var pending in group) pending.Added = AddWithin(pending.Messages, pending.ChangedBy, pending.Source, now);
            });
            return group;
        }
        catch (Exception) when (group.Count > 1)
        {
            // One bad request must not fail the others it was grouped with: commit each alone.
            var committed = new List<PendingAdd>(group.Count);
            foreach (var pending in group)
            {
                try
                {
                    CommitTransaction(() => pending.Added = AddWithin(pending.Messages, pending.ChangedBy, pending.Source, now));
                    committed.Add(pending);
                }
                catch (Exception ex)
                {
                    pending.Result.SetException(ex);
                }
            }
            return committed;
        }
        catch (Exception ex)
        {
            group[0].Result.SetException(ex);
            return [];
        }
    }

    /// <summary>The work of <see cref="Add"/>, inside a transaction that is already open.</summary>
    private List<AddedMessage> AddWithin(IReadOnlyList<NewMessage> messages, string changedBy, string source, DateTime now)
    {
        var added = new List<AddedMessage>(messages.Count);
        var fresh = new Dictionary<string, MessageRecord>();
        foreach (var m in messages)
        {
            var externalId = m.Message.Message.Id ?? throw new ArgumentException("Every message needs an id.", nameof(messages));
            var key = MessageKeys.External(m.MemberId, m.Line, m.Message.Chat.Id, externalId);
            var existing = fresh.GetValueOrDefault(Convert.ToHexString(key))
                ?? _messages.FindOne(Eq(nameof(MessageRecord.ExternalKey), key));
            if (existing is not null)
            {
                added.Add(new AddedMessage(existing, Duplicate: true));
                continue;
            }

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
            MessageKeys.Assign(record);
            fresh[Convert.ToHexString(key)] = record;
            AddVersion(record, ChangeKind.Send, oldText: null, changedBy, source, now);
            _outbox.Insert(new OutboxItem
            {
                MemberId = record.MemberId,
                Connector = record.Connector,
                Line = record.Line,
                Kind = ChangeKind.Send,
                MessageId = record.Id,
                Version = 1,
                Text = text,
                NextAttemptAt = now,
            });
            added.Add(new AddedMessage(record, Duplicate: false));
        }
        // The message, its version and its outbox item; its search entry and counts follow (see Derive).
        foreach (var record in fresh.Values) record.SearchBlock = NotYetDerived;
        _messages.InsertBulk(fresh.Values);
        QueueDerivation(fresh.Values);
        return added;
    }

    /// <summary>
    /// Records an edit or a delete of a message and queues it for the portal. <paramref name="expectedVersion"/>, when
    /// given, must be the current version, or the change is a conflict and nothing is written.
    /// </summary>
    public ChangeResult Change(
        string memberId, ObjectId messageId, ChangeKind kind, int? expectedVersion, string? newText,
        string changedBy, string source)
    {
        ChangeResult result = new(ChangeOutcome.NotFound);
        InTransaction(() => result = ChangeInTransaction(memberId, messageId, kind, expectedVersion, newText, changedBy, source));
        return result;
    }

    /// <summary>Many edits in one transaction (one disk flush): find-and-replace over a chat or a line.</summary>
    public IReadOnlyList<ChangeResult> EditMany(
        string memberId, IReadOnlyList<(ObjectId MessageId, int? ExpectedVersion, string Text)> edits, string changedBy, string source)
    {
        var results = new List<ChangeResult>(edits.Count);
        InTransaction(() =>
        {
            results.Clear();
            foreach (var (id, expected, text) in edits)
            {
                results.Add(ChangeInTransaction(memberId, id, ChangeKind.Edit, expected, text, changedBy, source));
            }
        });
        return results;
    }

    private ChangeResult ChangeInTransaction(
        string memberId, ObjectId messageId, ChangeKind kind, int? expectedVersion, string? newText,
        string changedBy, string source)
    {
        if (kind == ChangeKind.Send) throw new ArgumentException("Sends are added, not changed.", nameof(kind));
        var record = _messages.FindById(messageId);
        if (record is null || record.MemberId != memberId) return new(ChangeOutcome.NotFound);
        if (expectedVersion is { } expected && expected != record.Version) return new(ChangeOutcome.Conflict, record);
        if (record.Direction == MessageDirection.Outgoing)
        {
            // An operator's reply lives in the portal; it is edited there and the change reaches us as an event.
            return new(ChangeOutcome.Rejected, record, "This is an operator's reply; edit it in the open line.");
        }
        if (record.DeleteRequested)
        {
            return new(ChangeOutcome.Rejected, record, "The message was deleted; it can no longer be changed.");
        }
        if (record.Status == MessageStatus.Failed && !record.Delivered && !HasPending(record.Id))
        {
            return new(ChangeOutcome.Rejected, record,
                $"The message never reached the portal ({record.FailureReason}); there is nothing to change.");
        }
        var now = Now();
        var oldStatus = record.Status;
        var oldText = record.Text;
        record.Version++;
        record.Status = MessageStatus.Queued;
        record.FailureReason = null;
        record.LastEditedBy = changedBy;
        record.UpdatedAt = now;
        if (kind == ChangeKind.Edit)
        {
            record.Text = newText ?? "";
        }
        else
        {
            record.DeleteRequested = true;
        }
        Save(record, oldStatus);

        AddVersion(record, kind, oldText, changedBy, source, now);
        _outbox.Insert(new OutboxItem
        {
            MemberId = record.MemberId,
            Connector = record.Connector,
            Line = record.Line,
            Kind = kind,
            MessageId = record.Id,
            Version = record.Version,
            Text = kind == ChangeKind.Edit ? record.Text : null,
            NextAttemptAt = now,
        });
        return new(ChangeOutcome.Accepted, record);
    }

    public MessageRecord? Get(string memberId, ObjectId id)
    {
        var record = _messages.FindById(id);
        return record is not null && record.MemberId == memberId ? record : null;
    }

    /// <summary>For the dispatcher, which works across portals; never hand the result to a caller unscoped.</summary>
    public MessageRecord? GetById(ObjectId id) => _messages.FindById(id);

    public IReadOnlyList<MessageRecord?> GetByIds(IReadOnlyList<ObjectId> ids) => ids.Select(id => (MessageRecord?)_messages.FindById(id)).ToList();

    public MessageRecord? FindByExternal(string memberId, int line, string chatId, string externalMessageId)
    {
        var key = MessageKeys.External(memberId, line, chatId, externalMessageId);
        var record = _messages.FindOne(Eq(nameof(MessageRecord.ExternalKey), key));
        return record is not null && record.MemberId == memberId && record.ChatId == chatId
            && record.ExternalMessageId == externalMessageId ? record : null;
    }

    /// <summary>Every version of a message of the portal, oldest first.</summary>
    public IReadOnlyList<MessageVersionRecord> GetVersions(string memberId, ObjectId messageId) =>
        _versions.Find(Eq(nameof(MessageVersionRecord.MessageId), messageId))
            .Where(v => v.MemberId == memberId)
            .OrderBy(v => v.Version)
            .ToList();

    /// <summary>
    /// A page of a line's messages, newest first, and how many match in all (for a line, a status or a text search
    /// with more than <see cref="MessageStore.SearchTotalCap"/> matches: the cap, with <see cref="LogPage.TotalIsCapped"/>).
    /// </summary>
    public LogPage QueryPage(string memberId, MessageQuery query)
    {
        DeriveAll();   // totals and search include every accepted message
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var skip = Math.Max(0, query.Page) * pageSize;
        var search = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim().ToLowerInvariant();

        if (query.ChatId is { } chatId)
        {
            // A chat is small next to its line: seek its range, filter the rest in memory when needed.
            var chatPrefix = MessageKeys.Chat(memberId, query.LineId, chatId);
            if (search is null && query.Status is null)
            {
                return new LogPage(Range(_messages, nameof(MessageRecord.ChatTimeKey), chatPrefix, skip, pageSize, memberId), (int)Counted(chatPrefix));
            }
            var matches = InRange(_messages, nameof(MessageRecord.ChatTimeKey), chatPrefix)
                .Where(r => r.MemberId == memberId && r.ChatId == chatId
                    && (query.Status is null || r.Status == query.Status)
                    && (search is null || r.Text.Contains(search, StringComparison.OrdinalIgnoreCase)))
                .ToList();
            return new LogPage(matches.Skip(skip).Take(pageSize).ToList(), matches.Count);
        }

        if (search is null)
        {
            var (field, prefix) = query.Status is { } status
                ? (nameof(MessageRecord.StatusTimeKey), MessageKeys.Status(memberId, query.LineId, status))
                : (nameof(MessageRecord.LineTimeKey), MessageKeys.Line(memberId, query.LineId));
            // Counts of a line, a status or a chat are kept beside the log, so the first page never counts a million;
            // a line's total is still shown capped, as on PostgreSQL (where it is not kept), and as a text search's.
            return MessageStore.CappedPage(Range(_messages, field, prefix, skip, pageSize, memberId), Counted(prefix), skip, pageSize);
        }

        // Text search reads the line's search blocks newest first until it has the page and has counted past the
        // cap (or the line ends), and loads only the page shown.
        var found = SearchLine(memberId, query.LineId, search, query.Status).Take(MessageStore.CountUpTo(skip, pageSize)).ToList();
        var items = found.Skip(skip).Take(pageSize).Select(id => _messages.FindById(id))
            .Where(r => r is not null && r.MemberId == memberId).ToList();
        return MessageStore.CappedPage(items!, found.Count, skip, pageSize);
    }

    /// <summary>Messages of a line (or one chat) whose text contains <paramref name="find"/> (ordinal), newest first.</summary>
    public IReadOnlyList<MessageRecord> FindContaining(string memberId, int line, string? chatId, string find, int max)
    {
        DeriveAll();
        if (chatId is not null)
        {
            return InRange(_messages, nameof(MessageRecord.ChatTimeKey), MessageKeys.Chat(memberId, line, chatId))
                .Where(r => r.MemberId == memberId && r.ChatId == chatId && !r.DeleteRequested && r.Text.Contains(find, StringComparison.Ordinal))
                .Take(max)
                .ToList();
        }
        return SearchLine(memberId, line, find.ToLowerInvariant(), status: null)
            .Select(id => _messages.FindById(id))
            .Where(r => r is not null && r.MemberId == memberId && !r.DeleteRequested && r.Text.Contains(find, StringComparison.Ordinal))
            .Take(max)
            .ToList()!;
    }

    /// <summary>
    /// Ids of a line's messages whose lower-cased text contains <paramref name="lowerText"/>, newest first, read
    /// lazily: the caller's Take stops the reading of blocks.
    /// </summary>
    private IEnumerable<ObjectId> SearchLine(string memberId, int line, string lowerText, MessageStatus? status)
    {
        // One streaming range query over the line's blocks in descending id order; ordering by the very expression
        // of the _id index makes LiteDB walk the index backwards instead of sorting.
        var lineHex = MessageKeys.CounterId(MessageKeys.Line(memberId, line));
        var blocks = _db.GetCollection(TextBlocksCollection).Query()
            .Where(Between("_id", lineHex + "0000000000", lineHex + "9999999999"))
            .OrderByDescending(BsonExpression.Create("$._id"))
            .ToEnumerable();
        var inBlock = new List<ObjectId>();
        foreach (var block in blocks)
        {
            var ids = block[nameof(MessageTextBlock.Ids)].AsBinary;
            var texts = block[nameof(MessageTextBlock.Texts)].AsString ?? "";
            var statuses = block[nameof(MessageTextBlock.Statuses)].AsBinary;
            inBlock.Clear();
            // A match cannot span two texts (the separator is never in a search term); count separators to find its slot.
            int slot = 0, counted = 0;
            for (var at = texts.IndexOf(lowerText, StringComparison.Ordinal); at >= 0;)
            {
                slot += texts.AsSpan(counted, at - counted).Count(MessageTextBlock.Separator);
                var next = texts.IndexOf(MessageTextBlock.Separator, at);
                if (slot < statuses.Length && (status is not { } s || statuses[slot] == (byte)s))
                {
                    inBlock.Add(new ObjectId(ids, slot * 12));
                }
                if (next < 0) break;
                counted = next + 1;
                slot++;
                at = texts.IndexOf(lowerText, counted, StringComparison.Ordinal);
            }
            for (var i = inBlock.Count - 1; i >= 0; i--) yield return inBlock[i];
        }
    }

    /// <summary>Adds records to the tail block of their line, assigning each its block and slot.</summary>
    private void AppendToSearch(IReadOnlyList<MessageRecord> records)
    {
        foreach (var line in records.GroupBy(r => MessageKeys.CounterId(MessageKeys.Line(r.MemberId, r.Line))))
        {
            var tailId = "tail" + line.Key;
            var tail = _counts.FindById(tailId);
            var number = tail?["b"].AsInt32 ?? 0;
            var block = _blocks.FindById(BlockId(line.Key, number)) ?? new MessageTextBlock { Id = BlockId(line.Key, number) };
            var ids = new List<byte>(block.Ids);
            var texts = block.Count == 0 ? new List<string>() : [.. block.Texts.Split(MessageTextBlock.Separator)];
            var statuses = new List<byte>(block.Statuses);
            void Flush()
            {
                block.Ids = [.. ids];
                block.Texts = string.Join(MessageTextBlock.Separator, texts);
                block.Statuses = [.. statuses];
                _blocks.Upsert(block);
            }
            foreach (var record in line)
            {
                if (statuses.Count >= MessageStore.SearchBlockSize)
                {
                    Flush();
                    number++;
                    block = new MessageTextBlock { Id = BlockId(line.Key, number) };
                    ids.Clear();
                    texts.Clear();
                    statuses.Clear();
                }
                record.SearchBlock = number;
                record.SearchSlot = statuses.Count;
                ids.AddRange(record.Id.ToByteArray());
                texts.Add(SearchText(record.Text));
                statuses.Add((byte)record.Status);
            }
            Flush();
            _counts.Upsert(new BsonDocument { ["_id"] = tailId, ["b"] = number });
        }
    }

    // Search blocks changed in the current transaction, decoded once and written once at commit: a batch of 50
    // results or a find-and-replace over a chat touches the same few blocks many times. Guarded by _gate.
    private readonly Dictionary<string, (MessageTextBlock Block, string[] Texts)> _dirtyBlocks = [];

    private void UpdateSearch(MessageRecord record)
    {
        var lineHex = MessageKeys.CounterId(MessageKeys.Line(record.MemberId, record.Line));
        var blockId = BlockId(lineHex, record.SearchBlock);
        if (!_dirtyBlocks.TryGetValue(blockId, out var entry))
        {
            var loaded = _blocks.FindById(blockId);
            if (loaded is null) return;
            entry = (loaded, loaded.Texts.Split(MessageTextBlock.Separator));
            _dirtyBlocks[blockId] = entry;
        }
        var slot = record.SearchSlot;
        if (slot >= entry.Block.Count || new ObjectId(entry.Block.Ids, slot * 12) != record.Id) return;
        entry.Texts[slot] = SearchText(record.Text);
        entry.Block.Statuses[slot] = (byte)record.Status;
    }

    private void FlushSearch()
    {
        foreach (var (block, texts) in _dirtyBlocks.Values)
        {
            block.Texts = string.Join(MessageTextBlock.Separator, texts);
            _blocks.Update(block);
        }
        _dirtyBlocks.Clear();
    }

    private static string SearchText(string text) => text.ToLowerInvariant().Replace(MessageTextBlock.Separator, ' ');

    private static string BlockId(string lineHex, int number) => lineHex + number.ToString("D10");

    private static List<MessageRecord> Range(
        ILiteCollection<MessageRecord> collection, string field, byte[] prefix, int skip, int take, string memberId)
    {
        var (low, high) = MessageKeys.Range(prefix);
        return collection.Query()
            .Where(Between(field, low, high))
            .OrderByDescending(BsonExpression.Create("$." + field))
            .Skip(skip)
            .Limit(take)
            .ToList()
            .Where(r => r.MemberId == memberId)
            .ToList();
    }

    private static IEnumerable<T> InRange<T>(ILiteCollection<T> collection, string field, byte[] prefix, BsonExpression? filter = null)
    {
        var (low, high) = MessageKeys.Range(prefix);
        var q = collection.Query().Where(Between(field, low, high));
        if (filter is not null) q = q.Where(filter);
        return q.OrderByDescending(BsonExpression.Create("$." + field)).ToEnumerable();
    }

    /// <summary>
    /// Writes messages as already delivered, without outbox work: for seeding a large log in benchmarks only.
    /// </summary>
    public void ImportDelivered(IReadOnlyList<NewMessage> messages, DateTime createdAtUtc)
    {
        InTransaction(() =>
        {
            var records = new List<MessageRecord>(messages.Count);
            var versions = new List<MessageVersionRecord>(messages.Count);
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
                    CreatedAt = createdAtUtc,
                    UpdatedAt = createdAtUtc,
                };
                MessageKeys.Assign(record);
                records.Add(record);
                versions.Add(new MessageVersionRecord
                {
                    Id = ObjectId.NewObjectId(), MessageId = record.Id, MemberId = record.MemberId, Version = 1,
                    Kind = ChangeKind.Send, NewText = text, ChangedBy = "API", Source = "API", ChangedAt = createdAtUtc,
                    Status = MessageStatus.Sent, PortalAnswer = "SUCCESS",
                });
            }
            AppendToSearch(records);
            _messages.InsertBulk(records);
            _versions.InsertBulk(versions);
            var counts = new Dictionary<string, long>();
            foreach (var r in records) Count(r, +1, counts);
            ApplyCounts(counts);
        });
    }

    // ---- outbox ----

    /// <summary>
    /// The oldest pending items, in the order they were accepted (all of them, later items of a message included:
    /// one process holds the file, so there is nobody to share them with and no lease).
    /// </summary>
    public IReadOnlyList<OutboxItem> Claim(int max, IReadOnlyCollection<string>? except = null) =>
        except is not { Count: > 0 }
            ? _outbox.Query().OrderBy(x => x.Id).Limit(max).ToList()
            : _outbox.Query()
                .Where(BsonExpression.Create($"($.{nameof(OutboxItem.MemberId)} IN @0) = false", new BsonArray(except.Select(m => new BsonValue(m)))))
                .OrderBy(x => x.Id).Limit(max).ToList();

    /// <summary>
    /// One portal's oldest pending items, in the order they were accepted (read by the outbox's MemberId index). The
    /// index ignores case, as LiteDB's collation does: the exact compare keeps out a portal whose id differs only by
    /// case (its items are its own delivery's).
    /// </summary>
    public IReadOnlyList<OutboxItem> ClaimOf(string memberId, int max) =>
        _outbox.Query().Where(Eq(nameof(OutboxItem.MemberId), memberId)).OrderBy(x => x.Id).ToEnumerable()
            .Where(i => i.MemberId == memberId).Take(max).ToList();

    /// <summary>Nothing to let go: one process holds the file.</summary>
    public void Release()
    {
    }

    public OutboxDepth Depth()
    {
        var oldest = _outbox.Query().OrderBy(x => x.Id).Limit(1).FirstOrDefault();
        // A message's outbox item carries no acceptance time; the message's version that it delivers does.
        DateTime? at = oldest is null ? null
            : _versions.FindOne(BsonExpression.Create(
                $"$.{nameof(MessageVersionRecord.MessageId)} = @0 AND $.{nameof(MessageVersionRecord.Version)} = @1",
                oldest.MessageId, oldest.Version))?.ChangedAt.ToUniversalTime();
        return new OutboxDepth(_outbox.LongCount(), at);
    }

    public bool HasPendingWork() => _outbox.Count() > 0;

    /// <summary>
    /// Marks sends as out with the portal (see <see cref="OutboxItem.InFlight"/>) and returns those that may go: as the
    /// file says now, still queued, not out already and not waiting for a delete first. The caller's copies may be older
    /// than a call that ended meanwhile; sending one of those again would put a second copy in the dialog.
    /// </summary>
    public IReadOnlyList<OutboxItem> MarkInFlight(IReadOnlyList<OutboxItem> items)
    {
        var marked = new List<OutboxItem>(items.Count);
        InTransaction(() =>
        {
            marked.Clear();
            foreach (var item in items)
            {
                var current = _outbox.FindById(item.Id);
                if (current is null || current.Kind != ChangeKind.Send || current.InFlight || current.DeleteFirst) continue;
                current.InFlight = true;
                _outbox.Update(current);
                item.InFlight = true;
                marked.Add(item);
            }
        });
        return marked;
    }

    /// <summary>
    /// At start-up: a send that was out with the portal when the process stopped may or may not have arrived, so it
    /// is deleted at the portal before it is sent again. Returns how many were found.
    /// </summary>
    public int RecoverInFlight()
    {
        var count = 0;
        InTransaction(() =>
        {
            foreach (var item in _outbox.Find(x => x.InFlight).ToList())
            {
                item.InFlight = false;
                item.DeleteFirst = true;
                _outbox.Update(item);
                count++;
            }
        });
        return count;
    }

    /// <summary>Puts items back for a later attempt after a transient failure.</summary>
    public void Reschedule(IReadOnlyList<OutboxItem> items, string error, DateTime nextAttemptAt, bool deleteFirst)
    {
        InTransaction(() =>
        {
            foreach (var item in items)
            {
                var current = _outbox.FindById(item.Id);
                if (current is null) continue;
                current.Attempts++;
                current.LastError = error;
                current.NextAttemptAt = nextAttemptAt;
                current.InFlight = false;
                current.DeleteFirst |= deleteFirst;
                _outbox.Update(current);
            }
        });
    }

    /// <summary>The delete that precedes an ambiguous send went through; the send may now go again.</summary>
    public void ClearDeleteFirst(IReadOnlyList<OutboxItem> items)
    {
        InTransaction(() =>
        {
            foreach (var item in items)
            {
                var current = _outbox.FindById(item.Id);
                if (current is null) continue;
                current.DeleteFirst = false;
                current.NextAttemptAt = Now();
                _outbox.Update(current);
            }
        });
    }

    /// <summary>
    /// Records the portal's answers, removes the finished items and settles each message's status: queued while
    /// more of its work waits, otherwise sent, deleted, or failed with the portal's reason.
    /// Returns the messages that changed.
    /// </summary>
    public IReadOnlyList<MessageRecord> Complete(IReadOnlyList<OutboxCompletion> completions)
    {
        var changed = new Dictionary<ObjectId, MessageRecord>();
        InTransaction(() =>
        {
            var now = Now();
            foreach (var c in completions)
            {
                _outbox.Delete(c.Item.Id);
                var record = _messages.FindById(c.Item.MessageId);
                if (record is null) continue;
                if (c.SupersededBy is not null)
                {
                    // Only its version changes: the newer item that carried its text settles the message.
                    SetVersionStatus(record.Id, c.Item.Version, MessageStatus.Superseded, c.PortalAnswer);
                    continue;
                }
                var oldStatus = record.Status;
                SetVersionStatus(record.Id, c.Item.Version, c.Success ? Done(c.Item.Kind) : MessageStatus.Failed, c.PortalAnswer);

                if (c.Success && c.Item.Kind != ChangeKind.Delete) record.PortalText = c.Item.Text ?? "";
                if (c.Item.Kind == ChangeKind.Send && c.Success)
                {
                    record.Delivered = true;
                    record.PortalUserId = c.Result?.PortalUserId ?? record.PortalUserId;
                    record.SessionId = c.Result?.SessionId ?? record.SessionId;
                    record.PortalChatId = c.Result?.PortalChatId ?? record.PortalChatId;
                }
                if (c.Item.Kind == ChangeKind.Send && !c.Success)
                {
                    // Nothing that follows a failed send can find its message at the portal.
                    foreach (var later in _outbox.Find(Eq(nameof(OutboxItem.MessageId), record.Id)).ToList())
                    {
                        _outbox.Delete(later.Id);
                        SetVersionStatus(record.Id, later.Version, MessageStatus.Failed, "Not sent: the message never reached the portal.");
                    }
                }

                if (HasPending(record.Id))
                {
                    record.Status = MessageStatus.Queued;
                }
                else if (c.Success)
                {
                    record.Status = Done(c.Item.Kind);
                    record.FailureReason = null;
                }
                else
                {
                    record.Status = MessageStatus.Failed;
                    record.FailureReason = c.PortalAnswer;
                }
                record.UpdatedAt = now;
                Save(record, oldStatus);
                changed[record.Id] = record;
            }
        });
        return changed.Values.ToList();
    }

    /// <summary>
    /// Shows messages as <see cref="MessageStatus.Waiting"/> with <paramref name="reason"/>: their work cannot go out
    /// now and stays in the outbox. Returns only the messages that changed (status or reason), so a gate that stays
    /// closed round after round writes nothing.
    /// </summary>
    public IReadOnlyList<MessageRecord> MarkWaiting(IReadOnlyList<ObjectId> messageIds, string reason)
    {
        var changed = new List<MessageRecord>();
        if (messageIds.Count == 0) return changed;
        InTransaction(() =>
        {
            changed.Clear();
            foreach (var id in messageIds.Distinct())
            {
                var record = _messages.FindById(id);
                if (record is null || (record.Status == MessageStatus.Waiting && record.FailureReason == reason)) continue;
                var oldStatus = record.Status;
                record.Status = MessageStatus.Waiting;
                record.FailureReason = reason;
                Save(record, oldStatus);
                changed.Add(record);
            }
        });
        return changed;
    }

    /// <summary>
    /// Puts items back without counting an attempt: the portal refused them before running them (line off, app
    /// uninstalled, payment required), so they are neither in flight nor in need of a delete first.
    /// </summary>
    /// <param name="items">The items to put back.</param>
    /// <param name="notBefore">When the next attempt may be made; null leaves it to the gate alone.</param>
    public void Hold(IReadOnlyList<OutboxItem> items, DateTime? notBefore = null)
    {
        InTransaction(() =>
        {
            foreach (var item in items)
            {
                var current = _outbox.FindById(item.Id);
                if (current is null) continue;
                current.InFlight = false;
                if (notBefore is { } next)
                {
                    current.Attempts++;
                    current.NextAttemptAt = next;
                }
                _outbox.Update(current);
            }
        });
    }

    /// <summary>How many changes of a line's messages wait for the portal (queued, retrying or waiting).</summary>
    public int CountPending(string memberId, int line) =>
        _outbox.Query().Where(x => x.MemberId == memberId && x.Line == line).Count();

    /// <summary>
    /// Queues a failed message's last change again: the send, when the portal never got the message (preceded by a
    /// delete of its id, a no-op when it is not there, so a send whose fate was unclear cannot arrive twice), or else
    /// its current text or its delete. Rejected when the message has not failed or still has work waiting.
    /// </summary>
    public ChangeResult Retry(string memberId, ObjectId messageId, string changedBy)
    {
        ChangeResult result = new(ChangeOutcome.NotFound);
        InTransaction(() =>
        {
            var record = _messages.FindById(messageId);
            if (record is null || record.MemberId != memberId)
            {
                result = new(ChangeOutcome.NotFound);
                return;
            }
            if (record.Direction == MessageDirection.Outgoing)
            {
                result = new(ChangeOutcome.Rejected, record, "This is an operator's reply; its delivery to the webhook is retried by LineBridge itself.");
                return;
            }
            if (record.Status != MessageStatus.Failed || HasPending(record.Id))
            {
                result = new(ChangeOutcome.Rejected, record, $"Only a failed message can be retried; this one is {record.Status}.");
                return;
            }
            var now = Now();
            var kind = !record.Delivered ? ChangeKind.Send : record.DeleteRequested ? ChangeKind.Delete : ChangeKind.Edit;
            var oldStatus = record.Status;
            record.Status = MessageStatus.Queued;
            record.FailureReason = null;
            record.UpdatedAt = now;
            Save(record, oldStatus);
            SetVersionStatus(record.Id, record.Version, MessageStatus.Queued, $"Retried by {changedBy}.");
            _outbox.Insert(new OutboxItem
            {
                MemberId = record.MemberId,
                Connector = record.Connector,
                Line = record.Line,
                Kind = kind,
                MessageId = record.Id,
                Version = record.Version,
                Text = kind == ChangeKind.Delete ? null : record.Text,
                NextAttemptAt = now,
                DeleteFirst = kind == ChangeKind.Send,
            });
            result = new(ChangeOutcome.Accepted, record);
        });
        return result;
    }

    /// <summary>Records a transient failure on the messages whose work waits for another attempt.</summary>
    public IReadOnlyList<MessageRecord> NoteRetry(IReadOnlyList<OutboxItem> items, string reason)
    {
        var changed = new List<MessageRecord>();
        InTransaction(() =>
        {
            foreach (var id in items.Select(i => i.MessageId).Distinct())
            {
                var record = _messages.FindById(id);
                if (record is null) continue;
                var oldStatus = record.Status;
                // It is being attempted again: no longer waiting for a gate, but not failed either.
                if (record.Status == MessageStatus.Waiting) record.Status = MessageStatus.Queued;
                record.FailureReason = reason;
                Save(record, oldStatus);
                changed.Add(record);
            }
        });
        return changed;
    }

    // ---- counts ----

    private static void Count(MessageRecord record, int delta, Dictionary<string, long> counts)
    {
        foreach (var prefix in new[]
        {
            MessageKeys.Line(record.MemberId, record.Line),
            MessageKeys.Chat(record.MemberId, record.Line, record.ChatId),
            MessageKeys.Status(record.MemberId, record.Line, record.Status),
        })
        {
            var id = MessageKeys.CounterId(prefix);
            counts[id] = counts.GetValueOrDefault(id) + delta;
        }
    }

    private void ApplyCounts(Dictionary<string, long> counts)
    {
        foreach (var (key, delta) in counts)
        {
            if (delta == 0) continue;
            var doc = _counts.FindById(key);
            if (doc is null)
            {
                _counts.Insert(new BsonDocument { ["_id"] = key, ["n"] = delta });
            }
            else
            {
                doc["n"] = doc["n"].AsInt64 + delta;
                _counts.Update(doc);
            }
        }
    }

    private long Counted(byte[] prefix) => _counts.FindById(MessageKeys.CounterId(prefix))?["n"].AsInt64 ?? 0;

    /// <summary>Writes a changed record, its search side, and moves it between status counts.</summary>
    private void Save(MessageRecord record, MessageStatus oldStatus)
    {
        MessageKeys.Assign(record);
        _messages.Update(record);
        // Not derived yet: the deriver reads the record as it is then (text, status), under the same gate.
        if (record.SearchBlock == NotYetDerived) return;
        UpdateSearch(record);
        if (oldStatus == record.Status) return;
        ApplyCounts(new Dictionary<string, long>
        {
            [MessageKeys.CounterId(MessageKeys.Status(record.MemberId, record.Line, oldStatus))] = -1,
            [MessageKeys.CounterId(MessageKeys.Status(record.MemberId, record.Line, record.Status))] = +1,
        });
    }

    // ---- helpers ----

    // Queries carry their values as parameters: LiteDB compiles an expression once per text and keeps it for the
    // life of the process, so Query.EQ(field, value), which writes the value into the text, compiled (about 1 ms of
    // CPU) and kept (about 4 KB) one expression per key looked up. The field names here are constants.
    internal static BsonExpression Eq(string field, BsonValue value) => BsonExpression.Create($"$.{field} = @0", value);

    internal static BsonExpression Between(string field, BsonValue low, BsonValue high) =>
        BsonExpression.Create($"$.{field} BETWEEN @0 AND @1", low, high);

    private static MessageStatus Done(ChangeKind kind) => kind == ChangeKind.Delete ? MessageStatus.Deleted : MessageStatus.Sent;

    private bool HasPending(ObjectId messageId) => _outbox.Exists(Eq(nameof(OutboxItem.MessageId), messageId));

    private void SetVersionStatus(ObjectId messageId, int version, MessageStatus status, string answer)
    {
        var v = _versions.FindOne(BsonExpression.Create(
            $"$.{nameof(MessageVersionRecord.MessageId)} = @0 AND $.{nameof(MessageVersionRecord.Version)} = @1", messageId, version));
        if (v is null) return;
        v.Status = status;
        v.PortalAnswer = answer;
        _versions.Update(v);
    }

    // LiteDB stores milliseconds; truncating up front keeps keys computed now equal to keys computed after a reload.
    private DateTime Now()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }

    /// <summary>
    /// Records the step that brought <paramref name="record"/> to its current version, queued for the portal:
    /// the text after it (empty for a delete), the text before, who, from where, when.
    /// </summary>
    private void AddVersion(MessageRecord record, ChangeKind kind, string? oldText, string changedBy, string source, DateTime now) =>
        _versions.Insert(new MessageVersionRecord
        {
            Id = ObjectId.NewObjectId(),
            MessageId = record.Id,
            MemberId = record.MemberId,
            Version = record.Version,
            Kind = kind,
            OldText = oldText,
            NewText = kind == ChangeKind.Delete ? "" : record.Text,
            ChangedBy = changedBy,
            Source = source,
            ChangedAt = now,
            Status = MessageStatus.Queued,
        });

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction and returns once it is on the disk: the caller may then say
    /// "accepted". The flush is outside the write gate, so the next transaction is written while this one flushes.
    /// </summary>
    private void InTransaction(Action work)
    {
        CommitTransaction(work);
        _durable?.WaitDurable();
    }

    /// <summary>Commits <paramref name="work"/> (visible to readers, not yet durable: see <see cref="InTransaction"/>).</summary>
    private void CommitTransaction(Action work)
    {
        lock (_gate)
        {
            _durable?.ThrowIfClosed();
            _db.BeginTrans();
            try
            {
                work();
                FlushSearch();
                _db.Commit();
            }
            catch
            {
                _dirtyBlocks.Clear();
                _db.Rollback();
                throw;
            }
        }
    }
}
