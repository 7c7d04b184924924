using LiteDB;

namespace LineBridge.Storage.LiteDb;

/// <summary>A new message whose search entry and counts are not written yet (collection <c>message_derive</c>).</summary>
public sealed class PendingDerivation
{
    /// <summary>Grows with each accept: the derivation order is the order messages were accepted.</summary>
    public long Id { get; set; }
    public ObjectId MessageId { get; set; } = ObjectId.Empty;
}

// What an accept leaves for later (issue 15): an accept writes the message, its first version, its outbox item and
// one small "derive" entry. The line's search block (a whole block of texts rewritten per write) and the line, chat
// and status counters (one read and write each, the same hot documents for every writer of a line) follow from the
// derive entries in batches, in acceptance order, in their own transaction: one write of a block and of each
// counter for hundreds of messages.
// Bound: the deriver is woken by every commit that leaves work and runs at once, DeriveBatch messages per
// transaction; and every read of totals or search (QueryPage, FindContaining) first derives whatever is left, so a
// reader never sees a total or a search without a message it was told was accepted.
// Crash safety: a derive entry is deleted in the transaction that writes its search entry and counts, so a crash
// leaves it to be done again after restart; nothing is counted twice.
public sealed partial class LiteDbMessageStore
{
    internal const string DeriveCollection = "message_derive";

    /// <summary>Messages derived per transaction: big enough to share block and counter writes, small enough not to hold accepts back long.</summary>
    internal const int DeriveBatch = 500;

    /// <summary><see cref="MessageRecord.SearchBlock"/> of a message whose search entry and counts are not written yet.</summary>
    internal const int NotYetDerived = -1;

    private readonly ILiteCollection<PendingDerivation> _derive;
    private readonly Worker _deriver;

    // 1 at start: a previous process may have left entries. Set by every accept, cleared when the collection is empty.
    private int _derivePending = 1;

    /// <summary>Messages accepted whose search entry and counts are still to be written (for tests and benchmarks).</summary>
    internal int PendingDerivations => _derive.Count();

    private void QueueDerivation(IEnumerable<MessageRecord> records)
    {
        _derive.InsertBulk(records.Select(r => new PendingDerivation { MessageId = r.Id }));
        Volatile.Write(ref _derivePending, 1);
        _deriver.Poke();
    }

    /// <summary>Derives everything pending now, on the caller's thread (reads that need totals or search).</summary>
    private void DeriveAll()
    {
        while (Volatile.Read(ref _derivePending) == 1 && DeriveNextBatch())
        {
        }
    }

    /// <summary>One batch in one transaction; false when nothing was pending.</summary>
    private bool DeriveNextBatch()
    {
        var any = false;
        CommitTransaction(() =>
        {
            any = false;
            var batch = _derive.Query().OrderBy(x => x.Id).Limit(DeriveBatch).ToList();
            if (batch.Count == 0)
            {
                Volatile.Write(ref _derivePending, 0);
                return;
            }
            any = true;
            var records = new List<MessageRecord>(batch.Count);
            foreach (var pending in batch)
            {
                if (_messages.FindById(pending.MessageId) is { SearchBlock: NotYetDerived } record) records.Add(record);
            }
            AppendToSearch(records);   // assigns each its block and slot, with its text and status as they are now
            _messages.Update(records);
            var counts = new Dictionary<string, long>();
            foreach (var record in records) Count(record, +1, counts);
            ApplyCounts(counts);
            _derive.DeleteMany(Between("_id", batch[0].Id, batch[^1].Id));
        });
        return any;
    }
}
