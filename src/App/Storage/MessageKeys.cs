using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using LineBridge.Components.Messages;
using LiteDB;

namespace LineBridge.Storage;

/// <summary>
/// Composite index keys for the message log. LiteDB indexes one expression per index, and compares strings with the
/// database's collation (case-insensitive by default), so keys are short binary values, which LiteDB compares
/// byte by byte: portal, line, then chat or status, then time and id (big-endian, so byte order is time order).
/// A page of a line is one range seek in key order. Free-form parts (member id, chat id, external message id) are
/// hashed to 8 or 16 bytes to keep the width fixed and their case significant.
/// </summary>
public static class MessageKeys
{
    private const int TimeAndIdWidth = 8 + 12;

    // The most portals whose member id hash is kept (a bound: beyond it the hash is computed each time).
    private const int MaxRememberedMembers = 10_000;

    // Every key of a message starts with its member id's hash: four SHA-256 of the same id per accepted message, and
    // more per delivery and per API request. Portals are few, so each id is hashed once (ordinal: case matters).
    private static readonly ConcurrentDictionary<string, byte[]> MemberHashes = new(StringComparer.Ordinal);

    private static byte[] Hash(string value, int length) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, length).ToArray();

    private static byte[] MemberHash(string memberId)
    {
        if (MemberHashes.TryGetValue(memberId, out var hash)) return hash;
        hash = Hash(memberId, 8);
        if (MemberHashes.Count < MaxRememberedMembers) MemberHashes.TryAdd(memberId, hash);
        return hash;
    }

    public static byte[] Line(string memberId, int line)
    {
        var key = new byte[12];
        MemberHash(memberId).CopyTo(key, 0);   // copied: the remembered hash never leaves this class
        BinaryPrimitives.WriteInt32BigEndian(key.AsSpan(8), line);
        return key;
    }

    public static byte[] Chat(string memberId, int line, string chatId) => [.. Line(memberId, line), .. Hash(chatId, 8)];

    public static byte[] Status(string memberId, int line, MessageStatus status) => [.. Line(memberId, line), (byte)status];

    public static byte[] TimeAndId(DateTime createdAtUtc, ObjectId id)
    {
        var key = new byte[TimeAndIdWidth];
        BinaryPrimitives.WriteInt64BigEndian(key, createdAtUtc.Ticks);
        id.ToByteArray().CopyTo(key, 8);
        return key;
    }

    /// <summary>Unique per line, chat and external message id (16-byte hash: a collision would be a false duplicate).</summary>
    public static byte[] External(string memberId, int line, string chatId, string externalMessageId) =>
        [.. Line(memberId, line), .. Hash(chatId + "\u001f" + externalMessageId, 16)];

    /// <summary>The lowest and highest key under a prefix that ends where time and id begin.</summary>
    public static (byte[] Low, byte[] High) Range(byte[] prefix) =>
        ([.. prefix, .. new byte[TimeAndIdWidth]], [.. prefix, .. Enumerable.Repeat((byte)0xff, TimeAndIdWidth)]);

    /// <summary>Names a counter kept beside the log (a line, a line's status, a chat).</summary>
    public static string CounterId(byte[] prefix) => Convert.ToHexStringLower(prefix);

    public static void Assign(MessageRecord record)
    {
        var timeAndId = TimeAndId(record.CreatedAt.ToUniversalTime(), record.Id);
        record.LineTimeKey = [.. Line(record.MemberId, record.Line), .. timeAndId];
        record.ChatTimeKey = [.. Chat(record.MemberId, record.Line, record.ChatId), .. timeAndId];
        record.StatusTimeKey = [.. Status(record.MemberId, record.Line, record.Status), .. timeAndId];
        record.ExternalKey = External(record.MemberId, record.Line, record.ChatId, record.ExternalMessageId);
    }
}
