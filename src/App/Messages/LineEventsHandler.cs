using LineBridge.Bitrix24;
using LineBridge.Events;
using LineBridge.Install;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>
/// Keeps <see cref="LineConnections"/> in step with the portal: <c>ONIMCONNECTORSTATUSDELETE</c> (our connector switched
/// off on a line) marks it disconnected; <c>ONIMCONNECTORLINEDELETE</c> (the line deleted) marks it deleted.
/// Events arrive late and out of order (the portal queues them), so a switch-off is checked with the portal first:
/// an administrator who disconnected and at once reconnected a line must not find it dead when the first event lands.
/// </summary>
public sealed class LineEventsHandler(
    LineConnections lines, Bitrix24ClientFactory clients, IOptions<Bitrix24AppOptions> app, ILogger<LineEventsHandler> logger)
    : IPortalEventHandler
{
    public bool Handles(string eventName) =>
        eventName is PortalEventNames.StatusDelete or PortalEventNames.LineDelete;

    public async Task HandleAsync(PortalEvent portalEvent, CancellationToken cancellationToken = default)
    {
        if (portalEvent.Name == PortalEventNames.StatusDelete)
        {
            // data = {connector, line} in lower case (§9.8); other apps' connectors are not ours to track.
            if (portalEvent.Data("connector") is not { } connector || connector != app.Value.ConnectorId) return;
            if (int.TryParse(portalEvent.Data("line"), out var line))
            {
                if (await StillConnectedAsync(portalEvent.MemberId, connector, line, cancellationToken))
                {
                    logger.LogInformation("Ignored a late switch-off of line {LineId} of portal {MemberId}: it is connected again", line, portalEvent.MemberId);
                    return;
                }
                lines.MarkDisconnected(portalEvent.MemberId, line);
                logger.LogInformation("Connector switched off on line {LineId} of portal {MemberId}", line, portalEvent.MemberId);
            }
        }
        else if (int.TryParse(portalEvent.Data(), out var line))
        {
            // data is the bare line id here.
            lines.MarkDeleted(portalEvent.MemberId, line);
            logger.LogInformation("Line {LineId} of portal {MemberId} was deleted", line, portalEvent.MemberId);
        }
    }

    /// <summary>True only when the portal says the connector works on the line now; when it cannot say, the event wins
    /// (refusing sends to a live line is recoverable, sending into a dead one is not).</summary>
    private async Task<bool> StillConnectedAsync(string memberId, string connector, int line, CancellationToken cancellationToken)
    {
        try
        {
            return (await clients.ForPortal(memberId).Connectors.StatusAsync(connector, line, cancellationToken)).Status;
        }
        catch (Bitrix24Exception ex)
        {
            logger.LogWarning("Could not check line {LineId} of portal {MemberId} with the portal ({ErrorCode}); taking the switch-off as said",
                line, memberId, ex.ErrorCode);
            return false;
        }
    }
}
