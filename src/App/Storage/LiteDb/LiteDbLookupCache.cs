using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LiteDB;

namespace LineBridge.Storage.LiteDb;

/// <summary>
/// Records of a small LiteDB collection that the send API reads on every request (the API key by its hash, the
/// portal, the line's state), kept in memory by key, one cache per open file and record type.
/// </summary>
/// <remarks>
/// <para>Why: each lookup is a LiteDB query (expression parse, index seek, BSON to object), together about a tenth of
/// the CPU of one accepted message; the records change rarely (a key rotation, a token refresh, a line connected).</para>
/// <para>Why it cannot go stale: a LiteDB file has one writing process (<see cref="DurableLiteDatabase"/> opens it
/// with <c>FileShare.Read</c>, as LiteDB's direct mode does), and every write to these collections goes through their
/// records, which wrap it in <see cref="Write"/>: the cache is emptied before and after the write, and a read that
/// overlapped a write is not kept (a generation counter). So a rotated key is refused at once, and a line or portal
/// reads as it was last written. Only found records are kept (a wrong key costs a lookup, not memory), at most
/// <see cref="MaxEntries"/>; callers get copies, so nothing they change reaches the cache.</para>
/// </remarks>
internal sealed class LiteDbLookupCache<T> where T : class
{
    /// <summary>The most records kept; beyond it lookups go to the file (a bound, not an eviction policy).</summary>
    internal const int MaxEntries = 10_000;

    private static readonly ConditionalWeakTable<LiteDatabase, LiteDbLookupCache<T>> PerDatabase = new();

    private readonly ConcurrentDictionary<string, T> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Func<T, T> _copy;
    private long _generation;

    private LiteDbLookupCache(Func<T, T> copy) => _copy = copy;

    /// <summary>The cache of <typeparamref name="T"/> records of this open file (shared by every records object over it).</summary>
    /// <param name="copy">Makes an independent copy of a record (what callers get).</param>
    public static LiteDbLookupCache<T> For(LiteDatabase database, Func<T, T> copy) => PerDatabase.GetValue(database, _ => new(copy));

    /// <summary>The record under <paramref name="key"/> (ordinal), from memory or else from <paramref name="read"/>; a copy.</summary>
    public T? Get(string key, Func<T?> read)
    {
        if (_entries.TryGetValue(key, out var hit)) return _copy(hit);
        var generation = Volatile.Read(ref _generation);
        var found = read();
        if (found is null) return null;
        lock (_gate)
        {
            // A write began or ended while we read: what we read may be the old record, so it is not kept.
            if (generation == _generation && _entries.Count < MaxEntries) _entries[key] = _copy(found);
        }
        return found;
    }

    /// <summary>Runs a write to the collection, emptying the cache before and after it.</summary>
    public void Write(Action write)
    {
        Invalidate();
        try
        {
            write();
        }
        finally
        {
            Invalidate();
        }
    }

    private void Invalidate()
    {
        lock (_gate)
        {
            _generation++;
            _entries.Clear();
        }
    }
}
