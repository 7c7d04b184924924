namespace LineBridge.Components.Portal;

/// <summary>
/// Who is looking at the app, from which portal. The placement endpoint verifies the portal's form POST and signs
/// this into a short-lived ticket; pages open it from the <c>ticket</c> query parameter. Every service call takes it,
/// so every query is scoped to one portal and every permission is checked on the server.
/// </summary>
public sealed record PortalSession
{
    public required string MemberId { get; init; }
    public required string PortalDomain { get; init; }
    public required int UserId { get; init; }
    public required string UserName { get; init; }
    public required bool IsAdmin { get; init; }
    /// <summary>The portal's UI language (<c>LANG</c>), e.g. <c>en</c> or <c>ru</c>.</summary>
    public required string Language { get; init; }
    /// <summary><c>DEFAULT</c> or <c>SETTING_CONNECTOR</c>.</summary>
    public required string Placement { get; init; }
    /// <summary>For <c>SETTING_CONNECTOR</c>: the connector and line the portal passed in <c>PLACEMENT_OPTIONS</c>.</summary>
    public ConnectorPlacement? ConnectorPlacement { get; init; }
    /// <summary>
    /// The user's Bitrix24 time zone (IANA id) where the portal's user data gives one; null means "use the browser's".
    /// </summary>
    public string? TimeZone { get; init; }
    /// <summary>The signed ticket this session was opened from, for links that keep the session.</summary>
    public required string Ticket { get; init; }
}

public sealed record ConnectorPlacement(string Connector, int LineId);

/// <summary>Whether LineBridge can currently act on the portal.</summary>
public enum PortalState
{
    Ready,
    /// <summary>The portal refused our refresh token: an administrator must open the app again to re-authorise.</summary>
    NeedsReauthorization,
    Uninstalled,
    /// <summary>The portal's paid period for LineBridge is over: the app still opens, its work waits until the portal pays.</summary>
    PaymentRequired,
}

public interface IPortalSessions
{
    /// <summary>The session a ticket stands for; null when it is forged, expired or names an unknown portal.</summary>
    PortalSession? Open(string ticket);

    Task<PortalState> GetStateAsync(PortalSession session, CancellationToken cancellationToken = default);

    /// <summary>
    /// False once the session was ended (the app was uninstalled, or the user's role changed): administrator actions
    /// check it before they act. Sessions that were never ended are current.
    /// </summary>
    bool IsCurrent(PortalSession session) => true;

    /// <summary>
    /// Whether the session may take an administrator action now: it holds the administrator role, is current, and
    /// (where the host can ask) the portal still says so. A false answer ends the session's administrator rights.
    /// </summary>
    /// <exception cref="OperationFailedException">The portal could not be asked just now (a passing fault): nothing was
    /// decided and the session stays; the message tells the user to try again.</exception>
    Task<bool> ConfirmAdminAsync(PortalSession session, CancellationToken cancellationToken = default) =>
        Task.FromResult(session.IsAdmin && IsCurrent(session));
}
