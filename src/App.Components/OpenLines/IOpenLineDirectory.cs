using LineBridge.Components.Portal;

namespace LineBridge.Components.OpenLines;

/// <summary>The portal's open lines and the connector on them. Connect/disconnect and keys are for administrators.</summary>
public interface IOpenLineDirectory
{
    /// <summary>All the portal's lines (every page), each with the connector's status.</summary>
    Task<IReadOnlyList<OpenLineSummary>> GetLinesAsync(PortalSession session, CancellationToken cancellationToken = default);

    /// <exception cref="UnauthorizedAccessException">The user is not a portal administrator.</exception>
    /// <exception cref="OperationFailedException">The portal refused.</exception>
    Task<OpenLineSummary> ConnectAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default);

    /// <exception cref="UnauthorizedAccessException">The user is not a portal administrator.</exception>
    Task<OpenLineSummary> DisconnectAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many accepted changes (sends, edits, deletes) of the line's messages have not reached the portal yet:
    /// what a disconnect would hold back until the line is connected again.
    /// </summary>
    Task<int> CountPendingWorkAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default);

    Task<ApiAccess> GetApiAccessAsync(PortalSession session, CancellationToken cancellationToken = default);

    /// <summary>Creates a new API key (the old one stops working) and returns it; it is shown once, never stored.</summary>
    /// <exception cref="UnauthorizedAccessException">The user is not a portal administrator.</exception>
    Task<string> RotateApiKeyAsync(PortalSession session, CancellationToken cancellationToken = default);
}
