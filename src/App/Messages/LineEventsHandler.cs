using LineBridge.Events;
using LineBridge.Install;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>
/// Keeps <see cref="LineConnections"/> in step with the portal: <c>ONIMCONNECTORSTATUSDELETE</c> (our connector switched
/// off on a line) marks it disconnected; <c>ONIMCONNECTORLINEDELETE</c> (the line deleted) marks it deleted.
/// Events arrive late and out of order (the portal queues them), so each is confirmed with the portal before it gets
/// here (<see cref="EventConfirmer"/>): an administrator who disconnected and at once reconnected a line must not find
/// it dead when the first event lands.
/// </summary>
public sealed class LineEventsHandler(
    LineConnections lines, IOptions<Bitrix24AppOptions> app, ILogger<LineEventsHandler> logger)
    : IPortalEventHandler
{
    public bool Handles(string eventName) =>
        eventName is PortalEventNames.StatusDelete or PortalEventNames.LineDelete;

    public Task HandleAsync(PortalEvent portalEvent, CancellationToken cancellationToken = default)
    {
        // The event processor confirmed it with the portal before it got here (imconnector.status said the connector
        // is off the line, or imopenlines.config.get knows no such line), so a late switch-off of a reconnected line
        // never arrives: the portal refuted it.
        if (portalEvent.Name == PortalEventNames.StatusDelete)
        {
            // data = {connector, line} in lower case (§9.8); other apps' connectors are not ours to track.
            if (portalEvent.Data("connector") is not { } connector || connector != app.Value.ConnectorId) return Task.CompletedTask;
            if (int.TryParse(portalEvent.Data("line"), out var line))
            {
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
        return Task.CompletedTask;
    }
}
