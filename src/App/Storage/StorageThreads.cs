namespace LineBridge.Storage;

/// <summary>
/// The thread pool's floor for a process whose storage calls block their thread. LiteDB 5 has no asynchronous API and
/// the stores' own API is synchronous, so each write in progress (a portal's delivery recording its answer, an accept,
/// the deriver) holds a pool thread while it waits for the file's one writer and its <c>fsync</c>. The pool starts with
/// one thread per core and adds about one more every half second when all are blocked; meanwhile nothing else runs,
/// not even the HTTP calls of portals that have no store work waiting (bench <c>many-portals</c>: a 1-element call to a
/// quiet portal took 0.1-6 s beside 30 blocked deliveries, 1-10 ms with this floor).
/// </summary>
internal static class StorageThreads
{
    /// <summary>
    /// Worker threads the pool creates at once, without its injection delay: room for
    /// <see cref="MaxBlockedWriters"/> and as many again for everything else.
    /// </summary>
    internal const int MinWorkerThreads = 2 * MaxBlockedWriters;

    /// <summary>How many storage writes one component (the outbox dispatcher) lets block a thread at the same time.</summary>
    internal const int MaxBlockedWriters = 32;

    /// <summary>Raises the pool's minimum to <see cref="MinWorkerThreads"/> (never lowers one set higher, e.g. by configuration).</summary>
    internal static void EnsureMinimum()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < MinWorkerThreads) ThreadPool.SetMinThreads(MinWorkerThreads, io);
    }
}
