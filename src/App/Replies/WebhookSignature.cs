using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LineBridge.Replies;

/// <summary>
/// Signs webhook bodies: <c>X-LineBridge-Signature: sha256=&lt;hex&gt;</c>, the HMAC-SHA256, keyed with the line's
/// secret (its UTF-8 bytes), of <c>{timestamp}.{raw body}</c>, where the timestamp is the
/// <c>X-LineBridge-Timestamp</c> header (unix seconds). Signing the timestamp lets receivers refuse replays.
/// See docs/webhooks.md.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-LineBridge-Signature";
    public const string TimestampHeader = "X-LineBridge-Timestamp";
    public const string EventHeader = "X-LineBridge-Event";
    public const string DeliveryHeader = "X-LineBridge-Delivery";
    public const string Scheme = "sha256=";

    /// <summary>How far a timestamp may be from the receiver's clock by default.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The signature header's value for <paramref name="body"/> sent at <paramref name="timestamp"/>.</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var material = new byte[prefix.Length + body.Length];
        prefix.CopyTo(material, 0);
        body.CopyTo(material.AsSpan(prefix.Length));
        return Scheme + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), material));
    }

    /// <summary>
    /// Checks a received webhook the way a receiver should. Returns null when it is genuine, otherwise what is wrong.
    /// </summary>
    public static string? Verify(
        string secret, string? signatureHeader, string? timestampHeader, ReadOnlySpan<byte> body, DateTimeOffset utcNow,
        TimeSpan? tolerance = null)
    {
        if (string.IsNullOrEmpty(timestampHeader) || !long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
            return $"The {TimestampHeader} header is missing or not unix seconds.";
        if (string.IsNullOrEmpty(signatureHeader) || !signatureHeader.StartsWith(Scheme, StringComparison.Ordinal))
            return $"The {SignatureHeader} header is missing or does not start with '{Scheme}'.";
        var age = utcNow - DateTimeOffset.FromUnixTimeSeconds(timestamp);
        if (age.Duration() > (tolerance ?? DefaultTolerance))
            return $"The timestamp is {age.TotalSeconds:F0} s away from now: a replay, or a clock to set right.";
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, body));
        var actual = Encoding.ASCII.GetBytes(signatureHeader);
        return CryptographicOperations.FixedTimeEquals(expected, actual)
            ? null
            : "The signature does not match: check the secret (rotated?) and that the raw body is verified, not re-serialized JSON.";
    }

    /// <summary>A new secret: 32 random bytes, URL-safe base64, with a prefix that says what it is.</summary>
    public static string NewSecret() =>
        "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
