using LineBridge.Components;
using LineBridge.Components.Localization;
using LineBridge.Components.Portal;
using LineBridge.Components.Replies;

namespace LineBridge.Replies;

/// <summary>The UI's <see cref="ILineWebhooks"/>: administrators set a line's webhook and secret, and test it.</summary>
public sealed class LineWebhooks(
    LineWebhookStore store, WebhookSender sender, ReplySignal signal, TimeProvider time, ILogger<LineWebhooks> logger,
    IPortalSessions? sessions = null)
    : ILineWebhooks
{
    public Task<LineWebhook> GetAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
        Task.FromResult(ToModel(lineId, store.Get(session.MemberId, lineId)));

    public async Task<LineWebhookChange> SetUrlAsync(PortalSession session, int lineId, string? url, CancellationToken cancellationToken = default)
    {
        await RequireAdminAsync(session, "set the webhook", cancellationToken);
        var normalized = string.IsNullOrWhiteSpace(url) ? null : url.Trim();
        if (normalized is not null
            && (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo)))
        {
            throw new OperationFailedException(new LocalText("Problem.WebhookUrl"));
        }
        var (record, secret) = store.SetUrl(session.MemberId, lineId, normalized, time.GetUtcNow().UtcDateTime);
        logger.LogInformation("User {UserId} set the webhook of line {LineId} on {PortalDomain}", session.UserId, lineId, session.PortalDomain);
        // Replies waiting for a webhook can go now.
        signal.Notify();
        return new LineWebhookChange(ToModel(lineId, record), secret);
    }

    public async Task<LineWebhookChange> RotateSecretAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default)
    {
        await RequireAdminAsync(session, "replace the webhook secret", cancellationToken);
        var (record, secret) = store.RotateSecret(session.MemberId, lineId, time.GetUtcNow().UtcDateTime);
        logger.LogInformation("User {UserId} rotated the webhook secret of line {LineId} on {PortalDomain}", session.UserId, lineId, session.PortalDomain);
        signal.Notify();
        return new LineWebhookChange(ToModel(lineId, record), secret);
    }

    public async Task<WebhookTestResult> SendTestAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default)
    {
        await RequireAdminAsync(session, "test the webhook", cancellationToken);
        var target = store.Target(session.MemberId, lineId)
            ?? throw new OperationFailedException(new LocalText("Problem.WebhookFirst"));
        var body = WebhookPayload.Ping(session.MemberId, lineId, time.GetUtcNow());
        var answer = await sender.SendAsync(target, WebhookEventTypes.Ping, "ping", body, cancellationToken);
        return new WebhookTestResult(answer.Success, answer.StatusCode, answer.Detail);
    }

    /// <summary>The role is re-checked with the portal (<see cref="IPortalSessions.ConfirmAdminAsync"/>), not only at app open.</summary>
    private async Task RequireAdminAsync(PortalSession session, string what, CancellationToken cancellationToken)
    {
        if (!session.IsAdmin || (sessions is not null && !await sessions.ConfirmAdminAsync(session, cancellationToken)))
            throw new UnauthorizedAccessException($"Only a portal administrator may {what}.");
    }

    private static LineWebhook ToModel(int lineId, LineWebhookRecord? record) => new(
        lineId,
        record?.Url,
        record?.ProtectedSecret is not null,
        record?.SecretCreatedAt is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : null,
        record?.SecretHint);
}
