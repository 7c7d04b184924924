using LineBridge.Components;
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

    public Task<LineWebhookChange> SetUrlAsync(PortalSession session, int lineId, string? url, CancellationToken cancellationToken = default)
    {
        RequireAdmin(session, "set the webhook");
        var normalized = string.IsNullOrWhiteSpace(url) ? null : url.Trim();
        if (normalized is not null
            && (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo)))
        {
            throw new OperationFailedException("The webhook address must be an absolute http:// or https:// URL without a user name or password.");
        }
        var (record, secret) = store.SetUrl(session.MemberId, lineId, normalized, time.GetUtcNow().UtcDateTime);
        logger.LogInformation("User {UserId} set the webhook of line {LineId} on {PortalDomain}", session.UserId, lineId, session.PortalDomain);
        // Replies waiting for a webhook can go now.
        signal.Notify();
        return Task.FromResult(new LineWebhookChange(ToModel(lineId, record), secret));
    }

    public Task<LineWebhookChange> RotateSecretAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default)
    {
        RequireAdmin(session, "replace the webhook secret");
        var (record, secret) = store.RotateSecret(session.MemberId, lineId, time.GetUtcNow().UtcDateTime);
        logger.LogInformation("User {UserId} rotated the webhook secret of line {LineId} on {PortalDomain}", session.UserId, lineId, session.PortalDomain);
        signal.Notify();
        return Task.FromResult(new LineWebhookChange(ToModel(lineId, record), secret));
    }

    public async Task<WebhookTestResult> SendTestAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default)
    {
        RequireAdmin(session, "test the webhook");
        var target = store.Target(session.MemberId, lineId)
            ?? throw new OperationFailedException("Set the webhook address first.");
        var body = WebhookPayload.Ping(session.MemberId, lineId, time.GetUtcNow());
        var answer = await sender.SendAsync(target, WebhookEventTypes.Ping, "ping", body, cancellationToken);
        return new WebhookTestResult(answer.Success, answer.StatusCode, answer.Detail);
    }

    private void RequireAdmin(PortalSession session, string what)
    {
        if (!session.IsAdmin || sessions?.IsCurrent(session) == false) throw new UnauthorizedAccessException($"Only a portal administrator may {what}.");
    }

    private static LineWebhook ToModel(int lineId, LineWebhookRecord? record) => new(
        lineId,
        record?.Url,
        record?.ProtectedSecret is not null,
        record?.SecretCreatedAt is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : null,
        record?.SecretHint);
}
