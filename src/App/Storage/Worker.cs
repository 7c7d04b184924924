namespace LineBridge.Storage;

/// <summary>
/// A background loop that exists only while there is work: <see cref="Poke"/> starts it on the thread pool unless it
/// runs already; it calls its step until the step reports nothing done, and ends. A poke while it runs makes it look
/// once more before it ends, so work queued at any moment is never left behind. One loop at a time, never a caller's
/// thread: whoever pokes returns at once.
/// </summary>
internal sealed class Worker(Func<bool> step)
{
    private const int Idle = 0, Running = 1, Poked = 2;
    private int _state;

    public void Poke()
    {
        if (Interlocked.Exchange(ref _state, Poked) == Idle)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.Run(), this, preferLocal: false);
        }
    }

    private void Run()
    {
        while (true)
        {
            Volatile.Write(ref _state, Running);
            try
            {
                while (step())
                {
                }
            }
            catch (Exception)
            {
                // A step's own failures are its callers' (it answers them); what escapes is a closed database or a
                // bug, and a thread-pool thread must not take the process down with it. The next poke tries again.
            }
            if (Interlocked.CompareExchange(ref _state, Idle, Running) == Running) return;
        }
    }
}
