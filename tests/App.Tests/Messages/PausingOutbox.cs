using LineBridge.Storage;

namespace LineBridge.Messages;

/// <summary>
/// The real outbox, with a claim that can be held just after it read (so the reader acts on what it read later),
/// and a completion that can fail once (the store could not record the portal's answer).
/// </summary>
internal sealed class PausingOutbox(IOutboxStore inner) : IOutboxStore
{
    private int _pauseNext;
    private int _claims;

    public TaskCompletionSource Paused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool FailNextComplete { get; set; }
    public int Claims => Volatile.Read(ref _claims);

    public void PauseNextClaim() => Volatile.Write(ref _pauseNext, 1);

    private string? _pauseReadOf;

    /// <summary>Holds the next read (a claim or a portal's claim) that finds this portal's work, as a slow read of its backlog would.</summary>
    public void PauseNextReadOf(string memberId) => Volatile.Write(ref _pauseReadOf, memberId);

    private IReadOnlyList<OutboxItem> PauseIfItReads(IReadOnlyList<OutboxItem> read)
    {
        var memberId = Volatile.Read(ref _pauseReadOf);
        if (memberId is null || !read.Any(i => i.MemberId == memberId)) return read;
        if (Interlocked.CompareExchange(ref _pauseReadOf, null, memberId) != memberId) return read;
        Paused.SetResult();
        // Longer than a test's wait for an outcome: a reader held here must not free itself before the test has failed.
        Resume.Task.Wait(TimeSpan.FromMinutes(3));
        return read;
    }

    /// <summary>Each claim's portals left out, and the portals of what it read, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(IReadOnlyCollection<string> Except, IReadOnlyList<string> Read)> Reads { get; } = new();

    /// <summary>While set, the dispatcher's reads find nothing: work added meanwhile is read all at once after.</summary>
    public bool HoldClaims { get => Volatile.Read(ref _hold); set => Volatile.Write(ref _hold, value); }

    private bool _hold;

    public IReadOnlyList<OutboxItem> Claim(int max, IReadOnlyCollection<string>? except = null)
    {
        if (HoldClaims) return [];
        var read = inner.Claim(max, except);
        Reads.Enqueue((except ?? [], read.Select(i => i.MemberId).ToList()));
        if (Interlocked.Exchange(ref _pauseNext, 0) == 1)
        {
            Paused.SetResult();
            // The dispatcher's loop reads synchronously: hold it here, as a slow read would.
            Resume.Task.Wait(TimeSpan.FromSeconds(90));
        }
        Interlocked.Increment(ref _claims);
        return PauseIfItReads(read);
    }

    public IReadOnlyList<MessageRecord> Complete(IReadOnlyList<OutboxCompletion> completions)
    {
        if (FailNextComplete)
        {
            FailNextComplete = false;
            throw new IOException("The store could not write.");
        }
        return inner.Complete(completions);
    }

    public IReadOnlyList<OutboxItem> ClaimOf(string memberId, int max) => HoldClaims ? [] : PauseIfItReads(inner.ClaimOf(memberId, max));
    public void Release() => inner.Release();
    public bool HasPendingWork() => inner.HasPendingWork();
    public IReadOnlyList<OutboxItem> MarkInFlight(IReadOnlyList<OutboxItem> items) => inner.MarkInFlight(items);
    public int RecoverInFlight() => inner.RecoverInFlight();
    public void Reschedule(IReadOnlyList<OutboxItem> items, string error, DateTime nextAttemptAt, bool deleteFirst) =>
        inner.Reschedule(items, error, nextAttemptAt, deleteFirst);
    public void ClearDeleteFirst(IReadOnlyList<OutboxItem> items) => inner.ClearDeleteFirst(items);
    public IReadOnlyList<MessageRecord> MarkWaiting(IReadOnlyList<LiteDB.ObjectId> messageIds, string reason) => inner.MarkWaiting(messageIds, reason);
    public void Hold(IReadOnlyList<OutboxItem> items, DateTime? notBefore = null) => inner.Hold(items, notBefore);
    public int CountPending(string memberId, int line) => inner.CountPending(memberId, line);
    public IReadOnlyList<MessageRecord> NoteRetry(IReadOnlyList<OutboxItem> items, string reason) => inner.NoteRetry(items, reason);
    public OutboxDepth Depth() => inner.Depth();
}
