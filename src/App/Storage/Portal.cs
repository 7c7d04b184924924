namespace LineBridge.Storage;

/// <summary>Where LineBridge stands with a portal.</summary>
public enum PortalStatus
{
    Installed,
    /// <summary>The portal refused our refresh token; an administrator must open the app again (see <see cref="Portal.StatusReason"/>).</summary>
    NeedsReauthorization,
    /// <summary>The portal uninstalled the app: tokens wiped, the message log kept until an administrator purges it.</summary>
    Uninstalled,
    /// <summary>
    /// The portal answered <c>PAYMENT_REQUIRED</c>: its paid or trial period for the app is over. Calls stop (a probe
    /// now and then) and accepted work waits; the first call that succeeds again sets the portal back to Installed.
    /// </summary>
    PaymentRequired,
}

/// <summary>
/// An installed portal, keyed by <c>member_id</c>, with its secrets in clear (they are encrypted only at rest, in
/// <see cref="PortalStore"/>). <see cref="ToString"/> leaves the secrets out.
/// </summary>
public sealed record Portal
{
    public required string MemberId { get; init; }
    /// <summary>The portal's host (and port), e.g. <c>example.bitrix24.com</c>.</summary>
    public required string Domain { get; init; }
    /// <summary>The REST base, e.g. <c>https://example.bitrix24.com/rest/</c> (tracks domain renames).</summary>
    public required string ClientEndpoint { get; init; }
    public string? ServerEndpoint { get; init; }
    public string? AccessToken { get; init; }
    public string? RefreshToken { get; init; }
    public DateTimeOffset? AccessTokenExpiresAt { get; init; }
    /// <summary>
    /// When the stored refresh token was obtained (set by <see cref="PortalStore.Save"/> whenever it changes). A refresh
    /// token lives 28 or 180 days (§3.2): a quiet portal's tokens are refreshed well before that.
    /// </summary>
    public DateTimeOffset? RefreshTokenIssuedAt { get; init; }
    /// <summary>The per-install secret every event carries in <c>auth[application_token]</c>.</summary>
    public string? ApplicationToken { get; init; }
    public string? Scopes { get; init; }
    public string? Language { get; init; }
    public PortalStatus Status { get; init; } = PortalStatus.Installed;
    public string? StatusReason { get; init; }
    public int? InstalledByUserId { get; init; }
    public DateTimeOffset InstalledAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public override string ToString() =>
        $"Portal {{ MemberId = {MemberId}, Domain = {Domain}, Status = {Status}, ClientEndpoint = {ClientEndpoint} }}";
}
