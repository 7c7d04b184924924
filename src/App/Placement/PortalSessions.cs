using System.Collections.Concurrent;
using LineBridge.Components.Portal;
using LineBridge.Storage;

namespace LineBridge.Placement;

/// <summary>
/// Opens the sessions the placement endpoint signed into tickets (<see cref="IPortalSessions"/> for the UI), and keeps
/// the server-side record of every session opened. A ticket opens one session, once: the page opens it when its
/// interactive circuit starts (prerendering opens nothing, and a reconnect of the same circuit keeps its session), so
/// a copied URL, a reload or another browser gets nothing and re-enters through the portal's frame POST. Sessions can
/// be ended (uninstall, a changed role); administrator actions check <see cref="IsCurrent"/>.
/// </summary>
public sealed class PortalSessions(PlacementTickets tickets, PortalStore store, TimeProvider time) : IPortalSessions
{
    private sealed class OpenSession(string memberId, int userId, bool isAdmin, DateTimeOffset openedAt)
    {
        public string MemberId { get; } = memberId;
        public int UserId { get; } = userId;
        public bool IsAdmin { get; } = isAdmin;
        public DateTimeOffset OpenedAt { get; } = openedAt;
        public volatile bool Ended;
    }

    /// <summary>How long an ended or idle session's record is kept (a session's ticket is useless long before).</summary>
    private static readonly TimeSpan Retention = TimeSpan.FromDays(2);

    private readonly ConcurrentDictionary<string, OpenSession> _byTicketId = new();
    private readonly ConcurrentDictionary<string, string> _ticketIds = new(StringComparer.Ordinal);

    public PortalSession? Open(string ticket)
    {
        var payload = tickets.Read(ticket);
        if (payload is null) return null;
        var portal = store.Find(payload.MemberId);
        if (portal is null || portal.Status == PortalStatus.Uninstalled) return null;
        var now = time.GetUtcNow();
        if (!_byTicketId.TryAdd(payload.Id, new OpenSession(payload.MemberId, payload.UserId, payload.IsAdmin, now))) return null;
        _ticketIds[ticket] = payload.Id;
        Prune(now);
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
            Ticket = ticket,
        };
    }

    public bool IsCurrent(PortalSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        // Sessions exist only server-side (the circuit holds them), so what matters is whether this one was ended.
        var ended = _ticketIds.TryGetValue(session.Ticket, out var id) && _byTicketId.TryGetValue(id, out var open) && open.Ended;
        return !ended && store.Find(session.MemberId) is { Status: not PortalStatus.Uninstalled };
    }

    /// <summary>Ends every session of a portal (uninstall), or of one user of it.</summary>
    public void End(string memberId, int? userId = null)
    {
        foreach (var open in _byTicketId.Values.Where(s => s.MemberId == memberId && (userId is null || s.UserId == userId))) open.Ended = true;
    }

    /// <summary>Ends a user's sessions that hold another role than the portal now reports (a promotion or a demotion).</summary>
    public void EndIfRoleChanged(string memberId, int userId, bool isAdmin)
    {
        foreach (var open in _byTicketId.Values.Where(s => s.MemberId == memberId && s.UserId == userId && s.IsAdmin != isAdmin)) open.Ended = true;
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

    private void Prune(DateTimeOffset now)
    {
        if (_byTicketId.Count < 1024) return;
        foreach (var (id, open) in _byTicketId)
        {
            if (now - open.OpenedAt > Retention) _byTicketId.TryRemove(id, out _);
        }
        foreach (var (ticket, id) in _ticketIds)
        {
            if (!_byTicketId.ContainsKey(id)) _ticketIds.TryRemove(ticket, out _);
        }
    }
}
