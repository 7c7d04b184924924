using LineBridge.Events;
using LineBridge.Storage;

namespace LineBridge.Install;

/// <summary>
/// <c>ONAPPUNINSTALL</c>, confirmed with the portal: the tokens are dead anyway; wipe them, mark the portal uninstalled
/// (messages stay) and end every open session of it.
/// </summary>
public sealed class UninstallEventHandler(PortalStore store, Placement.PortalSessions sessions, ILogger<UninstallEventHandler> logger) : IPortalEventHandler
{
    public bool Handles(string eventName) => eventName == PortalEventNames.AppUninstall;

    public Task HandleAsync(PortalEvent portalEvent, CancellationToken cancellationToken = default)
    {
        var portal = store.MarkUninstalled(portalEvent.MemberId);
        sessions.End(portalEvent.MemberId);
        logger.LogInformation("Portal {PortalDomain} ({MemberId}) uninstalled LineBridge (clean: {Clean})",
            portal?.Domain, portalEvent.MemberId, portalEvent.Data("CLEAN"));
        return Task.CompletedTask;
    }
}
