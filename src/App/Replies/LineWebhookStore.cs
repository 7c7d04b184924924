using LineBridge.Storage;
using LineBridge.Storage.LiteDb;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;

namespace LineBridge.Replies;

/// <summary>A line's webhook as stored; the secret is encrypted with the app's data-protection keys.</summary>
public sealed class LineWebhookRecord
{
    /// <summary><c>{member id}|{line}</c>.</summary>
    public string Id { get; set; } = "";
    public string MemberId { get; set; } = "";
    public int Line { get; set; }
    public string? Url { get; set; }
    public string? ProtectedSecret { get; set; }
    public DateTime? SecretCreatedAt { get; set; }
    /// <summary>The secret's last four characters, so an administrator can tell which one a receiver holds.</summary>
    public string? SecretHint { get; set; }
}

/// <summary>A line's webhook with its secret in the clear, for signing.</summary>
public sealed record WebhookTarget(Uri Url, string Secret);

/// <summary>Webhook URLs and secrets per portal and line.</summary>
public sealed class LineWebhookStore
{
    private readonly ILineWebhookRecords _webhooks;
    private readonly IDataProtector _protector;
    private readonly Lock _gate = new();

    /// <summary>The webhooks in the embedded LiteDB collection.</summary>
    public LineWebhookStore(LiteDatabase db, IDataProtectionProvider protection)
        : this(new LiteDbLineWebhookRecords(db), protection)
    {
    }

    /// <summary>The webhooks over any provider's records.</summary>
    internal LineWebhookStore(ILineWebhookRecords records, IDataProtectionProvider protection)
    {
        _webhooks = records;
        _protector = protection.CreateProtector("LineBridge.Replies.WebhookSecret");
    }

    public LineWebhookRecord? Get(string memberId, int line) => _webhooks.Find(Key(memberId, line));

    /// <summary>The URL and secret to deliver with; null until both are set.</summary>
    public WebhookTarget? Target(string memberId, int line) =>
        Get(memberId, line) is { Url: { } url, ProtectedSecret: { } secret }
            ? new WebhookTarget(new Uri(url), _protector.Unprotect(secret))
            : null;

    /// <summary>Sets the URL; returns the record and a new secret when the line had none.</summary>
    public (LineWebhookRecord Record, string? NewSecret) SetUrl(string memberId, int line, string? url, DateTime now)
    {
        lock (_gate)
        {
            var record = Get(memberId, line) ?? new LineWebhookRecord { Id = Key(memberId, line), MemberId = memberId, Line = line };
            record.Url = url;
            string? secret = null;
            if (url is not null && record.ProtectedSecret is null) secret = SetSecret(record, now);
            _webhooks.Upsert(record);
            return (record, secret);
        }
    }

    public (LineWebhookRecord Record, string NewSecret) RotateSecret(string memberId, int line, DateTime now)
    {
        lock (_gate)
        {
            var record = Get(memberId, line) ?? new LineWebhookRecord { Id = Key(memberId, line), MemberId = memberId, Line = line };
            var secret = SetSecret(record, now);
            _webhooks.Upsert(record);
            return (record, secret);
        }
    }

    private string SetSecret(LineWebhookRecord record, DateTime now)
    {
        var secret = WebhookSignature.NewSecret();
        record.ProtectedSecret = _protector.Protect(secret);
        record.SecretCreatedAt = now;
        record.SecretHint = secret[^4..];
        return secret;
    }

    private static string Key(string memberId, int line) => $"{memberId}|{line}";
}
