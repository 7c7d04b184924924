using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;

namespace LineBridge.Components.Fakes;

/// <summary>Keeps lines in memory and, like the real service, refuses administrator actions to operators.</summary>
public sealed class FakeOpenLineDirectory : IOpenLineDirectory
{
    public List<OpenLineSummary> Lines { get; } =
    [
        new(1, "Support", true, ConnectorState.Connected),
        new(2, "Sales", true, ConnectorState.NotConnected),
    ];

    public ApiAccess Access { get; set; } = new("https://app.example.test/api/v1", false, null, null);

    /// <summary>When set, GetLinesAsync waits for it (to see the loading state).</summary>
    public TaskCompletionSource? LinesGate { get; set; }
    public Exception? LinesFailure { get; set; }
    /// <summary>Thrown by the next connect, disconnect or rotate.</summary>
    public Exception? ActionFailure { get; set; }
    public List<string> Calls { get; } = [];
    private int _keys;

    public async Task<IReadOnlyList<OpenLineSummary>> GetLinesAsync(PortalSession session, CancellationToken cancellationToken = default)
    {
        if (LinesGate is not null)
            await LinesGate.Task;
        if (LinesFailure is not null)
            throw LinesFailure;
        return Lines.ToList();
    }

    public Task<OpenLineSummary> ConnectAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
        Change(session, lineId, ConnectorState.Connected, "connect");

    public Task<OpenLineSummary> DisconnectAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
        Change(session, lineId, ConnectorState.NotConnected, "disconnect");

    /// <summary>Changes waiting for the portal, per line.</summary>
    public Dictionary<int, int> PendingWork { get; } = [];

    public Task<int> CountPendingWorkAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
        Task.FromResult(PendingWork.GetValueOrDefault(lineId));

    public Task<ApiAccess> GetApiAccessAsync(PortalSession session, CancellationToken cancellationToken = default) =>
        Task.FromResult(Access);

    /// <summary>When set, RotateApiKeyAsync waits for it (to see the working state).</summary>
    public TaskCompletionSource? RotateGate { get; set; }

    public async Task<string> RotateApiKeyAsync(PortalSession session, CancellationToken cancellationToken = default)
    {
        Calls.Add("rotate");
        if (RotateGate is not null)
            await RotateGate.Task;
        Guard(session);
        var key = $"lb_key_{++_keys}";
        Access = Access with { HasKey = true, KeyCreatedAt = DateTimeOffset.UtcNow, KeyHint = key[^2..] };
        return key;
    }

    private Task<OpenLineSummary> Change(PortalSession session, int lineId, ConnectorState state, string call)
    {
        Calls.Add($"{call}:{lineId}");
        Guard(session);
        var index = Lines.FindIndex(l => l.Id == lineId);
        Lines[index] = Lines[index] with { Connector = state, ConnectorError = null };
        return Task.FromResult(Lines[index]);
    }

    private void Guard(PortalSession session)
    {
        if (!session.IsAdmin)
            throw new UnauthorizedAccessException("not an administrator");
        if (ActionFailure is { } failure)
        {
            ActionFailure = null;
            throw failure;
        }
    }
}
