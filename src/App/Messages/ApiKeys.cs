using System.Security.Cryptography;
using System.Text;
using LineBridge.Storage;
using LineBridge.Storage.LiteDb;
using LiteDB;

namespace LineBridge.Messages;

/// <summary>A portal's API key as stored: only its SHA-256, when it was made, and a hint to recognise it.</summary>
public sealed class ApiKeyRecord
{
    /// <summary>The portal's <c>member_id</c>; one key per portal.</summary>
    public string Id { get; set; } = "";
    public string Hash { get; set; } = "";
    public string Hint { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// The keys the external system presents to the send API, one per portal. A key is 32 random bytes; only its SHA-256
/// is kept, so the key itself is shown once (when created or rotated) and never again.
/// </summary>
public sealed class ApiKeys
{
    private const string Prefix = "lb_";
    private readonly IApiKeyRecords _keys;
    private readonly TimeProvider _time;

    /// <summary>The keys in the embedded LiteDB collection.</summary>
    public ApiKeys(LiteDatabase db, TimeProvider time)
        : this(new LiteDbApiKeyRecords(db), time)
    {
    }

    /// <summary>The keys over any provider's records.</summary>
    internal ApiKeys(IApiKeyRecords records, TimeProvider time)
    {
        _time = time;
        _keys = records;
    }

    /// <summary>Makes a new key for the portal (the old one stops working) and returns it: the only time it is seen.</summary>
    public Task<string> RotateAsync(string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        var key = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        _keys.Upsert(new ApiKeyRecord
        {
            Id = memberId,
            Hash = HashOf(key),
            Hint = Prefix + "…" + key[^4..],
            CreatedAt = _time.GetUtcNow().UtcDateTime,
        });
        return Task.FromResult(key);
    }

    /// <summary>
    /// For the sandbox: a key for the portal if it has none yet (returned once, to be printed at first start);
    /// null when it already has one.
    /// </summary>
    public async Task<string?> EnsureKeyAsync(string memberId, CancellationToken cancellationToken = default) =>
        _keys.Find(memberId) is null ? await RotateAsync(memberId, cancellationToken) : null;

    public ApiKeyRecord? GetInfo(string memberId) => _keys.Find(memberId);

    /// <summary>The portal a presented key belongs to, or null for a missing or wrong key.</summary>
    public string? Authenticate(string? presentedKey)
    {
        if (string.IsNullOrEmpty(presentedKey) || !presentedKey.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var hash = HashOf(presentedKey);
        var record = _keys.FindByHash(hash);
        // The lookup is by hash, so timing reveals nothing about the key; the final compare is constant-time anyway.
        if (record is null) return null;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(record.Hash), Encoding.ASCII.GetBytes(hash))
            ? record.Id
            : null;
    }

    private static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
