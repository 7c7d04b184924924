using LineBridge.Components.Portal;
using LineBridge.Storage;

namespace LineBridge.Placement;

/// <summary>Opens the sessions the placement endpoint signed into tickets (<see cref="IPortalSessions"/> for the UI).</summary>
public sealed class PortalSessions(PlacementTickets tickets, PortalStore store) : IPortalSessions
{
    public PortalSession? Open(string ticket)
    {
        var payload = tickets.Read(ticket);
        if (payload is null) return null;
        var portal = store.Find(payload.MemberId);
        if (portal is null || portal.Status == PortalStatus.Uninstalled) return null;
        return new PortalSession
        {
            MemberId = payload.MemberId,
            PortalDomain = portal.Domain,
            UserId = payload.UserId,
            UserName = payload.UserName,
            IsAdmin = payload.IsAdmin,
            Language = payload.Language,
            Placement = payload.Placement,
            ConnectorPlacement = payload is { Connector: { } connector, LineId: { } line } ? new ConnectorPlacement(connector, line) : null,
            TimeZone = payload.TimeZone,
            Ticket = ticket,
        };
    }

    public Task<PortalState> GetStateAsync(PortalSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var state = store.Find(session.MemberId)?.Status switch
        {
            PortalStatus.Installed => PortalState.Ready,
            PortalStatus.NeedsReauthorization => PortalState.NeedsReauthorization,
            _ => PortalState.Uninstalled,
        };
        return Task.FromResult(state);
    }
}
