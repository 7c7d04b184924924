using LineBridge.Components.Portal;

namespace LineBridge.Components.Replies;

/// <summary>Where a line's operator replies go: the external system's webhook, and the secret that signs them.</summary>
public sealed record LineWebhook(int LineId, string? Url, bool HasSecret, DateTimeOffset? SecretCreatedAt, string? SecretHint)
{
    public bool IsConfigured => Url is not null && HasSecret;
}

/// <summary>A saved webhook, and its new secret when one was just made (shown once: only then can it be copied).</summary>
public sealed record LineWebhookChange(LineWebhook Webhook, string? NewSecret);

/// <summary>What the webhook answered to a signed test ping.</summary>
public sealed record WebhookTestResult(bool Success, int? StatusCode, string Detail);

/// <summary>Per-line webhook settings. Reading is open to the portal's users; changes are for administrators.</summary>
public interface ILineWebhooks
{
    Task<LineWebhook> GetAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default);

    /// <summary>Sets the URL (null or empty removes it). A line without a secret gets one, returned once.</summary>
    /// <exception cref="UnauthorizedAccessException">The user is not a portal administrator.</exception>
    /// <exception cref="OperationFailedException">The URL is not an absolute http(s) address.</exception>
    Task<LineWebhookChange> SetUrlAsync(PortalSession session, int lineId, string? url, CancellationToken cancellationToken = default);

    /// <summary>Replaces the secret; the new one is returned once and signs every delivery from now on.</summary>
    /// <exception cref="UnauthorizedAccessException">The user is not a portal administrator.</exception>
    Task<LineWebhookChange> RotateSecretAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default);

    /// <summary>POSTs a signed <c>ping</c> to the webhook and reports its answer.</summary>
    /// <exception cref="UnauthorizedAccessException">The user is not a portal administrator.</exception>
    /// <exception cref="OperationFailedException">The line has no webhook yet.</exception>
    Task<WebhookTestResult> SendTestAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default);
}
