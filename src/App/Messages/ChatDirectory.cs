using System.Collections.Concurrent;
using System.Text;
using LiteDB;

namespace LineBridge.Messages;

/// <summary>
/// The chats of each line LineBridge has seen (external chat id and the name the external system gave it), so people
/// can find a chat by the name the table shows or by part of its id, in any case. Kept in its own small collection,
/// loaded per line on first use and cached; a chat is written once, when it first appears or is renamed, so sends
/// into known chats cost nothing here.
/// </summary>
/// <remarks>
/// The records live behind <see cref="Storage.IChatRecords"/> (LiteDB collection <c>chats</c> or PostgreSQL table
/// <c>chats</c>). On a shared database another instance may add chats, so a line's cache is read again after
/// <paramref name="refreshAfter"/> (null: never, for one process that writes every chat itself).
/// </remarks>
public sealed class ChatDirectory(Storage.IChatRecords records, TimeSpan? refreshAfter = null, TimeProvider? time = null)
{
    internal const string Collection = Storage.LiteDb.LiteDbChatRecords.Collection;

    /// <summary>At most this many chats take part in one search: the table merges their messages.</summary>
    public const int MaxMatches = 50;

    private readonly ConcurrentDictionary<(string MemberId, int Line), (ConcurrentDictionary<string, string?> Chats, DateTimeOffset LoadedAt)> _lines = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The directory over the LiteDB collection <c>chats</c> of <paramref name="db"/> (tests).</summary>
    internal ChatDirectory(LiteDatabase db) : this(new Storage.LiteDb.LiteDbChatRecords(db))
    {
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

    /// <summary>Remembers the chats of messages just accepted (new chats and new names only reach the database).</summary>
    public void Note(string memberId, int line, IEnumerable<(string ChatId, string? Name)> chats)
    {
        var known = Load(memberId, line);
        var changed = new List<ChatRecord>();
        foreach (var (chatId, name) in chats)
        {
            var clean = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
            if (known.TryGetValue(chatId, out var had) && (clean is null || had == clean)) continue;
            known[chatId] = clean ?? had;
            changed.Add(new ChatRecord { Id = Key(memberId, line, chatId), MemberId = memberId, Line = line, ChatId = chatId, Name = clean ?? had });
        }
        if (changed.Count > 0) records.Upsert(changed);
    }

    /// <summary>The name the external system gave a chat, or null.</summary>
    public string? NameOf(string memberId, int line, string chatId) =>
        Load(memberId, line).TryGetValue(chatId, out var name) ? name : null;

    /// <summary>
    /// The line's chats whose id or name contains <paramref name="text"/> (ignoring case), an exact id first; the text
    /// itself is always tried as an exact id, so chats older than this directory are still found by their id.
    /// </summary>
    public IReadOnlyList<Chat> Find(string memberId, int line, string text)
    {
        var needle = text.Trim();
        var known = Load(memberId, line);
        var found = new List<Chat> { new(needle, known.GetValueOrDefault(needle)) };
        foreach (var (chatId, name) in known)
        {
            if (found.Count >= MaxMatches) break;
            if (chatId == needle) continue;
            if (chatId.Contains(needle, StringComparison.OrdinalIgnoreCase)
                || (name is not null && name.Contains(needle, StringComparison.OrdinalIgnoreCase)))
            {
                found.Add(new Chat(chatId, name));
            }
        }
        // The exact id leads only when it is a chat we know, or when nothing else matched (a chat from before).
        if (!known.ContainsKey(needle) && found.Count > 1) found.RemoveAt(0);
        return found;
    }

    private ConcurrentDictionary<string, string?> Load(string memberId, int line)
    {
        var now = _time.GetUtcNow();
        if (_lines.TryGetValue((memberId, line), out var cached) && (refreshAfter is not { } every || now - cached.LoadedAt < every))
            return cached.Chats;
        var chats = new ConcurrentDictionary<string, string?>(StringComparer.Ordinal);
        foreach (var chat in records.List(memberId, line)) chats[chat.ChatId] = chat.Name;
        _lines[(memberId, line)] = (chats, now);
        return chats;
    }

    /// <summary>A chat's record id: its portal, line and external id (hex: LiteDB's collation ignores case, external ids don't).</summary>
    internal static string Key(string memberId, int line, string chatId) =>
        $"{memberId}|{line}|{Convert.ToHexString(Encoding.UTF8.GetBytes(chatId))}";
}
