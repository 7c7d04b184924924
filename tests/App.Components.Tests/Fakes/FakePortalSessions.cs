using LineBridge.Components.Portal;

namespace LineBridge.Components.Fakes;

/// <summary>Tickets map to sessions; unknown tickets behave like forged or expired ones (null).</summary>
public sealed class FakePortalSessions : IPortalSessions
{
    public Dictionary<string, PortalSession> Tickets { get; } = [];
    public PortalState State { get; set; } = PortalState.Ready;
    public Exception? StateFailure { get; set; }
    public List<string> Opened { get; } = [];

    public PortalSession Add(PortalSession session)
    {
        Tickets[session.Ticket] = session;
        return session;
    }

    public PortalSession? Open(string ticket)
    {
        Opened.Add(ticket);
        return Tickets.GetValueOrDefault(ticket);
    }

    public Task<PortalState> GetStateAsync(PortalSession session, CancellationToken cancellationToken = default) =>
        StateFailure is not null ? Task.FromException<PortalState>(StateFailure) : Task.FromResult(State);
}
