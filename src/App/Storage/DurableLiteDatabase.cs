using System.Reflection;
using LiteDB;
using LiteDB.Engine;

namespace LineBridge.Storage;

/// <summary>
/// A LiteDB 5 database whose log file LineBridge flushes itself: one <c>fsync</c> per commit (or per group of
/// commits), never one per page, and a caller can wait until everything committed so far is on the disk.
/// </summary>
/// <remarks>
/// <para>Why: LiteDB 5.0.20 writes a transaction's pages to its log (<c>name-log.db</c>) on a background writer
/// (<c>DiskWriterQueue</c>) and <c>fsync</c>s whenever that writer finds its queue empty, which happens after almost
/// every page while the committing thread is still producing the next one: about 24 <c>fsync</c>s for one accepted
/// message. And <c>Commit</c> returns as soon as the pages are queued, before any of them is written, so "committed"
/// never meant "durable".</para>
/// <para>How: the data file and the log are opened here and handed to LiteDB as streams (<see cref="EngineSettings"/>
/// <c>DataStream</c>/<c>LogStream</c>; same file names as LiteDB's own, so a file written either way opens the other
/// way). The log stream ignores LiteDB's flush requests; <see cref="WaitDurable"/> waits until the writer has written
/// every queued page (LiteDB's internal "queue is empty" event, reached by reflection; pinned to LiteDB 5.0.20 and
/// checked when the file is opened) and then <c>fsync</c>s the log once for everything written so far. Concurrent
/// callers share that <c>fsync</c>. The data file keeps LiteDB's flushes as real <c>fsync</c>s: a checkpoint copies the
/// log into it and must be on the disk before the log is cut.</para>
/// <para>Writers that never call <see cref="WaitDurable"/> (portal tokens, API keys, line state) reach the disk within
/// <see cref="BackgroundSyncDelay"/> after LiteDB's writer goes idle, as they did (without a bound) before.</para>
/// <para>After a failed <c>fsync</c> the kernel may have dropped the unwritten pages, so nothing that follows can be
/// called durable: every later <see cref="WaitDurable"/> fails too, until the process restarts and LiteDB reads its
/// log again (PostgreSQL treats a failed <c>fsync</c> the same way).</para>
/// </remarks>
public sealed class DurableLiteDatabase : LiteDatabase
{
    /// <summary>How long a write outside <see cref="WaitDurable"/> may stay in the OS cache: 50 ms.</summary>
    public static readonly TimeSpan BackgroundSyncDelay = TimeSpan.FromMilliseconds(50);

    private readonly LogFile _data;
    private readonly LogFile _log;
    private readonly string _logPath;
    private readonly Func<bool> _waitForWriter;

    private DurableLiteDatabase(LiteEngine engine, LogFile data, LogFile log, string logPath)
        : base(engine)
    {
        _data = data;
        _log = log;
        _logPath = logPath;
        _waitForWriter = WriterQueueProbe.For(engine);
    }

    /// <summary>
    /// Held by every write to this file. LiteDB 5.0.20 lets write transactions on different collections run at once,
    /// but two of them taking pages from the file's shared free list at the same time corrupt it ("empty page must be
    /// defined as empty type", after which the engine refuses every transaction). Writes are short and the message
    /// store already commits in groups, so one writer at a time costs little.
    /// </summary>
    internal Lock WriteGate { get; } = new();

    // Set under WriteGate when the file closes. A write that reached LiteDB after its engine closed would leave a write
    // transaction open in it; LiteDB finalizes such a transaction later on the finalizer thread, where its rollback
    // fails ("discarded page must be writable") and ends the process.
    private bool _closed;

    /// <summary>Called under <see cref="WriteGate"/> before a write starts.</summary>
    /// <exception cref="ObjectDisposedException">The file was closed (the app is stopping).</exception>
    internal void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);

    /// <summary>Opens (or creates) the database file at <paramref name="path"/> and its log beside it.</summary>
    /// <exception cref="IOException">Another process has the file open.</exception>
    public static DurableLiteDatabase Open(string path)
    {
        var full = Path.GetFullPath(path);
        var data = new LogFile(full, syncOnFlush: true);
        LogFile? log = null;
        try
        {
            var logPath = LogPath(full);
            log = new LogFile(logPath, syncOnFlush: false);
            var engine = new LiteEngine(new EngineSettings { DataStream = data, LogStream = log });
            var database = new DurableLiteDatabase(engine, data, log, logPath);
            LiteDbCollections.EnsureCreated(database);
            return database;
        }
        catch
        {
            log?.Dispose();
            data.Dispose();
            throw;
        }
    }

    /// <summary>LiteDB's own name for the log of <paramref name="dataPath"/>: <c>name-log.ext</c>.</summary>
    internal static string LogPath(string dataPath) =>
        Path.Combine(Path.GetDirectoryName(dataPath) ?? "", Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));

    /// <summary>
    /// Returns once every transaction committed before the call is written to the log and the log is <c>fsync</c>ed.
    /// </summary>
    /// <exception cref="IOException">The disk write or flush failed (now or earlier in this process).</exception>
    public void WaitDurable()
    {
        _log.ThrowIfFailed();
        if (!_waitForWriter()) throw new IOException("LiteDB's log writer stopped; the last changes are not on the disk.");
        _log.Sync();
    }

    /// <summary>For tests: runs before each <c>fsync</c> of the log (may block, or throw to simulate a failed flush).</summary>
    internal Action? BeforeLogSync
    {
        get => _log.BeforeSync;
        set => _log.BeforeSync = value;
    }

    /// <summary>How many <c>fsync</c>s of the log were done (for tests and benchmarks).</summary>
    internal long LogSyncs => _log.Syncs;

    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            base.Dispose(disposing);
            return;
        }
        // No write may be half-way through LiteDB while it closes, nor start after (see _closed).
        lock (WriteGate)
        {
            _closed = true;
            base.Dispose(disposing);
        }
        var emptyLog = _log.Length == 0;   // LiteDB checkpointed it on close
        _log.Dispose();
        _data.Dispose();
        // LiteDB deletes an empty log it opened itself; it leaves a stream it was given, so do it here.
        if (emptyLog) File.Delete(_logPath);
    }

    /// <summary>
    /// Waits on LiteDB 5.0.20's <c>DiskWriterQueue._queueIsEmpty</c>: set by the writer, under its queue lock, only
    /// after every page dequeued so far is written; reset by every commit before it returns. <c>DiskWriterQueue.Wait()</c>
    /// itself is not used: it asserts an empty queue afterwards and so throws when another writer queued meanwhile.
    /// </summary>
    private static class WriterQueueProbe
    {
        private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;

        public static Func<bool> For(LiteEngine engine)
        {
            var disk = typeof(LiteEngine).GetField("_disk", Private)?.GetValue(engine);
            var lazy = disk?.GetType().GetProperty("Queue")?.GetValue(disk);
            var queue = lazy?.GetType().GetProperty("Value")?.GetValue(lazy);
            var empty = queue?.GetType().GetField("_queueIsEmpty", Private)?.GetValue(queue) as ManualResetEventSlim;
            var failure = queue?.GetType().GetField("_exception", Private);
            if (queue is null || empty is null || failure is null)
            {
                throw new NotSupportedException(
                    "This LiteDB version does not have the log writer LineBridge waits on (written for LiteDB 5.0.20).");
            }
            return () =>
            {
                // The writer records its failure and stops without setting the event: look now and then.
                while (!empty.Wait(TimeSpan.FromMilliseconds(100)))
                {
                    if (failure.GetValue(queue) is not null) return false;
                }
                return failure.GetValue(queue) is null;
            };
        }
    }

    /// <summary>
    /// One of the database's files, unbuffered. LiteDB serialises its reads and writes on this object
    /// (<c>ConcurrentStream</c> locks it); <see cref="Sync"/> runs beside them, which <c>fsync</c> allows.
    /// </summary>
    private sealed class LogFile : Stream
    {
        private readonly FileStream _file;
        private readonly bool _syncOnFlush;
        private readonly Lock _syncGate = new();
        private readonly Timer _background;
        private long _writes;
        private int _disposed;
        private long _synced;
        private int _backgroundArmed;
        private Exception? _failure;

        public LogFile(string path, bool syncOnFlush)
        {
            // FileShare.Read: as LiteDB's own direct mode, one writing process per file.
            var options = new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.Read,
                BufferSize = 0,
                Options = FileOptions.RandomAccess,
            };
            // Created owner-only (0600) like the rest of the data folder; the log comes and goes with each start.
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            _file = new FileStream(path, options);
            _syncOnFlush = syncOnFlush;
            _background = new Timer(_ => BackgroundSync());
        }

        public Action? BeforeSync { get; set; }

        public long Syncs { get; private set; }

        public void ThrowIfFailed()
        {
            if (Volatile.Read(ref _failure) is { } failure)
            {
                throw new IOException("An earlier flush of the database log failed; restart LineBridge.", failure);
            }
        }

        /// <summary>fsync, unless nothing was written since the last one (then it returns at once).</summary>
        public void Sync()
        {
            var target = Interlocked.Read(ref _writes);
            lock (_syncGate)
            {
                ThrowIfFailed();
                if (_synced >= target) return;
                var upTo = Interlocked.Read(ref _writes);
                try
                {
                    BeforeSync?.Invoke();
                    _file.Flush(flushToDisk: true);
                }
                catch (Exception ex)
                {
                    Volatile.Write(ref _failure, ex);
                    throw new IOException("The database log could not be flushed to the disk.", ex);
                }
                _synced = upTo;
                Syncs++;
            }
        }

        private void BackgroundSync()
        {
            Interlocked.Exchange(ref _backgroundArmed, 0);
            try { Sync(); }
            catch (IOException) { } // remembered in _failure: the next WaitDurable reports it
            catch (ObjectDisposedException) { }
        }

        public override void Flush()
        {
            if (_syncOnFlush)
            {
                _file.Flush(flushToDisk: true);
                return;
            }
            // LiteDB's log writer went idle: leave the fsync to WaitDurable, with a late one for other writers.
            if (Interlocked.Read(ref _writes) > Volatile.Read(ref _synced) && Interlocked.Exchange(ref _backgroundArmed, 1) == 0)
            {
                _background.Change(BackgroundSyncDelay, System.Threading.Timeout.InfiniteTimeSpan);
            }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            _file.Write(buffer, offset, count);
            Interlocked.Increment(ref _writes);
        }

        public override void SetLength(long value)
        {
            _file.SetLength(value);
            Interlocked.Increment(ref _writes);
        }

        public override int Read(byte[] buffer, int offset, int count) => _file.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => true;
        public override long Length => _file.Length;
        public override long Position { get => _file.Position; set => _file.Position = value; }

        protected override void Dispose(bool disposing)
        {
            // Dispose may run twice (LiteDB closes the streams it holds, then DurableLiteDatabase closes its own):
            // only the first flushes and closes the file.
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _background.Dispose();
                lock (_syncGate)
                {
                    if (_failure is null)
                    {
                        try { _file.Flush(flushToDisk: true); } catch (IOException) { }
                    }
                    _file.Dispose();
                }
            }
            base.Dispose(disposing);
        }
    }
}
