using LineBridge.Components.Portal;
using LineBridge.Components.Replies;

namespace LineBridge.Components.Fakes;

/// <summary>Keeps webhooks in memory, refuses non-administrators like the real service, and records calls.</summary>
public sealed class FakeLineWebhooks : ILineWebhooks
{
    private int _secrets;

    public Dictionary<int, LineWebhook> Webhooks { get; } = [];
    public List<string> Calls { get; } = [];
    public WebhookTestResult TestResult { get; set; } = new(true, 200, "200 OK");
    /// <summary>Thrown by the next change instead of doing it.</summary>
    public Exception? ActionFailure { get; set; }

    public Task<LineWebhook> GetAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Webhooks.GetValueOrDefault(lineId) ?? new LineWebhook(lineId, null, false, null, null));

    public async Task<LineWebhookChange> SetUrlAsync(PortalSession session, int lineId, string? url, CancellationToken cancellationToken = default)
    {
        Act(session, $"set {lineId} {url}");
        var current = await GetAsync(session, lineId, cancellationToken);
        var secret = current.HasSecret ? null : NewSecret();
        var saved = current with { Url = url, HasSecret = true, SecretCreatedAt = current.SecretCreatedAt ?? DateTimeOffset.UtcNow, SecretHint = secret?[^4..] ?? current.SecretHint };
        Webhooks[lineId] = saved;
        return new LineWebhookChange(saved, secret);
    }

    public async Task<LineWebhookChange> RotateSecretAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default)
    {
        Act(session, $"rotate {lineId}");
        var secret = NewSecret();
        var saved = (await GetAsync(session, lineId, cancellationToken)) with { HasSecret = true, SecretCreatedAt = DateTimeOffset.UtcNow, SecretHint = secret[^4..] };
        Webhooks[lineId] = saved;
        return new LineWebhookChange(saved, secret);
    }

    public Task<WebhookTestResult> SendTestAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default)
    {
        Act(session, $"test {lineId}");
        return Task.FromResult(TestResult);
    }

    private void Act(PortalSession session, string call)
    {
        if (ActionFailure is { } failure)
        {
            ActionFailure = null;
            throw failure;
        }
        if (!session.IsAdmin) throw new UnauthorizedAccessException("not an admin");
        Calls.Add(call);
    }

    private string NewSecret() => $"whsec_test{++_secrets:D4}";
}
