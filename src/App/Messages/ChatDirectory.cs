using System.Collections.Concurrent;
using System.Text;
using LiteDB;
using Microsoft.Extensions.Caching.Memory;

namespace LineBridge.Messages;

/// <summary>
/// The chats of each line LineBridge has seen (external chat id and the name the external system gave it), so people
/// can find a chat by the name the table shows or by part of its id, in any case. Kept in its own small collection,
/// loaded per line on first use and cached; a chat is written once, when it first appears or is renamed, so sends
/// into known chats cost nothing here.
/// </summary>
/// <remarks>
/// The cache is bounded (<see cref="MemoryCache"/> with a size limit counted in chats, <see cref="DefaultMaxCachedChats"/>)
/// and a line's chats leave it after <see cref="DefaultIdleTime"/> without use, so a process serving many portals
/// holds only the lines people are looking at, and a chat another instance added is seen once the line is loaded
/// again. A line larger than the whole limit is not cached: each search reads it. The records live behind
/// <see cref="Storage.IChatRecords"/> (LiteDB collection <c>chats</c>, or the PostgreSQL table <c>chats</c> shared
/// by the instances).
/// </remarks>
public sealed class ChatDirectory : IDisposable
{
    internal const string Collection = Storage.LiteDb.LiteDbChatRecords.Collection;

    /// <summary>At most this many chats take part in one search: the table merges their messages.</summary>
    public const int MaxMatches = 50;

    /// <summary>How many chats (over all lines) the cache holds at most: about 150 bytes each, so some 15 MB.</summary>
    public const int DefaultMaxCachedChats = 100_000;

    /// <summary>A line's chats leave the cache after this long unused.</summary>
    public static readonly TimeSpan DefaultIdleTime = TimeSpan.FromMinutes(10);

    private readonly Storage.IChatRecords _records;
    private readonly MemoryCache _cache;
    private readonly TimeSpan _idleTime;

    // A line is read from the database and put in the cache under this lock, and new chats are written under it too:
    // otherwise a read that began before a write could put a line without its newest chat in the cache.
    private readonly Lock _gate = new();

    /// <summary>A directory over the LiteDB collection <c>chats</c> of <paramref name="db"/>; see the other constructor.</summary>
    public ChatDirectory(LiteDatabase db, int maxCachedChats = DefaultMaxCachedChats, TimeSpan? idleTime = null, TimeProvider? time = null)
        : this(new Storage.LiteDb.LiteDbChatRecords(db), maxCachedChats, idleTime, time)
    {
    }

    /// <summary>A directory over <paramref name="records"/>; the cache holds at most <paramref name="maxCachedChats"/> chats.</summary>
    public ChatDirectory(Storage.IChatRecords records, int maxCachedChats = DefaultMaxCachedChats, TimeSpan? idleTime = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCachedChats);
        _records = records;
        _idleTime = idleTime ?? DefaultIdleTime;
        _cache = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = maxCachedChats,
            Clock = time is null ? null : new TimeProviderClock(time),
            // Room is made by evicting the least recently used lines, a quarter of the limit at a time.
            CompactionPercentage = 0.25,
            TrackStatistics = true,
        });
    }

    /// <summary>A chat as stored. The id is hex-encoded: the database's collation ignores case, external ids don't.</summary>
    public sealed class ChatRecord
    {
        public string Id { get; set; } = "";
        public string MemberId { get; set; } = "";
        public int Line { get; set; }
        public string ChatId { get; set; } = "";
        public string? Name { get; set; }
    }

    /// <summary>A chat that matched a search.</summary>
    public sealed record Chat(string ChatId, string? Name);

    /// <summary>
    /// What a search found: the chats that take part (at most <see cref="MaxMatches"/>, best first) and how many
    /// matched in all; more matched than take part when <see cref="Total"/> exceeds <c>Chats.Count</c>.
    /// </summary>
    public sealed record Matches(IReadOnlyList<Chat> Chats, int Total);

    /// <summary>How many chats the cache holds now (for tests and diagnostics).</summary>
    public long CachedChats => _cache.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>Remembers the chats of messages just accepted (new chats and new names only reach the database).</summary>
    public void Note(string memberId, int line, IEnumerable<(string ChatId, string? Name)> chats)
    {
        var known = Load(memberId, line);
        List<(string ChatId, string? Name)>? fresh = null;
        foreach (var (chatId, name) in chats)
        {
            var clean = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
            if (known.TryGetValue(chatId, out var had) && (clean is null || had == clean)) continue;
            (fresh ??= []).Add((chatId, clean));
        }
        if (fresh is null) return;
        lock (_gate)
        {
            var changed = new List<ChatRecord>();
            foreach (var (chatId, clean) in fresh)
            {
                var had = known.GetValueOrDefault(chatId);
                if (known.ContainsKey(chatId) && (clean is null || had == clean)) continue;
                known[chatId] = clean ?? had;
                changed.Add(new ChatRecord { Id = Key(memberId, line, chatId), MemberId = memberId, Line = line, ChatId = chatId, Name = clean ?? had });
            }
            if (changed.Count == 0) return;
            _records.Upsert(changed);
            // The line grew: its size in the cache grows too (which may evict other lines, or this one).
            if (_cache.TryGetValue((memberId, line), out ConcurrentDictionary<string, string?>? cached) && ReferenceEquals(cached, known))
                Cache((memberId, line), known);
        }
    }

    /// <summary>The name the external system gave a chat, or null.</summary>
    public string? NameOf(string memberId, int line, string chatId) =>
        Load(memberId, line).TryGetValue(chatId, out var name) ? name : null;

    /// <summary>
    /// The line's chats whose id or name contains <paramref name="text"/> (ignoring case), best first: the exact id,
    /// the exact name, ids and names that start with the text, then the rest, each group by name. The text itself is
    /// always tried as an exact id, so chats older than this directory are still found by their id. At most
    /// <see cref="MaxMatches"/> are returned; <see cref="Matches.Total"/> counts them all.
    /// </summary>
    public Matches Find(string memberId, int line, string text)
    {
        var needle = text.Trim();
        var known = Load(memberId, line);
        var found = new List<(int Rank, Chat Chat)>();
        foreach (var (chatId, name) in known)
        {
            if (Rank(chatId, name, needle) is { } rank) found.Add((rank, new Chat(chatId, name)));
        }
        // The exact id counts even when the directory does not know it (a chat from before), unless others matched.
        if (found.Count == 0) return new Matches([new Chat(needle, null)], 1);
        var best = found
            .OrderBy(f => f.Rank)
            .ThenBy(f => f.Chat.Name ?? f.Chat.ChatId, StringComparer.OrdinalIgnoreCase)
            .ThenBy(f => f.Chat.ChatId, StringComparer.Ordinal)
            .Take(MaxMatches)
            .Select(f => f.Chat)
            .ToList();
        return new Matches(best, found.Count);
    }

    /// <summary>0: the exact id; 1: the exact name; 2: starts with the text; 3: contains it; null: no match.</summary>
    private static int? Rank(string chatId, string? name, string needle)
    {
        if (chatId == needle) return 0;
        if (name is not null && string.Equals(name, needle, StringComparison.OrdinalIgnoreCase)) return 1;
        if (chatId.StartsWith(needle, StringComparison.OrdinalIgnoreCase)
            || (name is not null && name.StartsWith(needle, StringComparison.OrdinalIgnoreCase))) return 2;
        if (chatId.Contains(needle, StringComparison.OrdinalIgnoreCase)
            || (name is not null && name.Contains(needle, StringComparison.OrdinalIgnoreCase))) return 3;
        return null;
    }

    private ConcurrentDictionary<string, string?> Load(string memberId, int line)
    {
        var key = (memberId, line);
        if (_cache.TryGetValue(key, out ConcurrentDictionary<string, string?>? cached)) return cached!;
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out cached)) return cached!;
            var chats = new ConcurrentDictionary<string, string?>(StringComparer.Ordinal);
            foreach (var chat in _records.List(memberId, line)) chats[chat.ChatId] = chat.Name;
            Cache(key, chats);
            return chats;
        }
    }

    /// <summary>Puts a line in the cache, sized by its chats (one more for the line itself).</summary>
    private void Cache((string MemberId, int Line) key, ConcurrentDictionary<string, string?> chats) =>
        _cache.Set(key, chats, new MemoryCacheEntryOptions { Size = chats.Count + 1, SlidingExpiration = _idleTime });

    private static string Key(string memberId, int line, string chatId) =>
        $"{memberId}|{line}|{Convert.ToHexString(Encoding.UTF8.GetBytes(chatId))}";

    public void Dispose() => _cache.Dispose();

    /// <summary>The cache's clock from the app's <see cref="TimeProvider"/>, so tests can move time.</summary>
    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
