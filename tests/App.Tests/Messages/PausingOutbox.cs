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

    /// <summary>Each claim's portals left out, and the portals of what it read, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(IReadOnlyCollection<string> Except, IReadOnlyList<string> Read)> Reads { get; } = new();

    public IReadOnlyList<OutboxItem> Claim(int max, IReadOnlyCollection<string>? except = null)
    {
        var read = inner.Claim(max, except);
        Reads.Enqueue((except ?? [], read.Select(i => i.MemberId).ToList()));
        if (Interlocked.Exchange(ref _pauseNext, 0) == 1)
        {
            Paused.SetResult();
            // The dispatcher's loop reads synchronously: hold it here, as a slow read would.
            Resume.Task.Wait(TimeSpan.FromSeconds(90));
        }
        Interlocked.Increment(ref _claims);
        return read;
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

    public IReadOnlyList<OutboxItem> ClaimOf(string memberId, int max) => inner.ClaimOf(memberId, max);
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
