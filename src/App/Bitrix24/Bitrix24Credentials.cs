namespace LineBridge.Bitrix24;

/// <summary>Whose authority a call carries. The client never sees tokens; <see cref="AccessTokenHandler"/> does.</summary>
public abstract record Bitrix24Credentials
{
    private protected Bitrix24Credentials() { }

    /// <summary>The portal's <c>member_id</c>: the rate-limiter partition and the key of the stored tokens.</summary>
    public abstract string MemberId { get; }
}

/// <summary>The app's own stored tokens for an installed portal: refreshed on <c>expired_token</c>.</summary>
public sealed record PortalCredentials(string PortalMemberId) : Bitrix24Credentials
{
    public override string MemberId => PortalMemberId;
}

/// <summary>
/// A one-off user token (<c>AUTH_ID</c> of a frame POST) against a REST base we derived ourselves. Not refreshable:
/// an expired one surfaces as <see cref="Bitrix24Exception"/> with <c>expired_token</c>.
/// </summary>
public sealed record UserCredentials(string PortalMemberId, Uri RestBase, string AccessToken) : Bitrix24Credentials
{
    public override string MemberId => PortalMemberId;

    // Records print their members; a token must never reach a log line.
    public override string ToString() => $"UserCredentials {{ MemberId = {PortalMemberId}, RestBase = {RestBase} }}";
}

/// <summary>The current REST base and access token of an installed portal.</summary>
public sealed record PortalAccess(Uri RestBase, string AccessToken)
{
    public override string ToString() => $"PortalAccess {{ RestBase = {RestBase} }}";
}

/// <summary>
/// Where the stored tokens of installed portals come from (implemented by the portal registry). Keeps the client free
/// of storage.
/// </summary>
public interface IPortalTokenSource
{
    /// <summary>The portal's current REST base and access token; throws <see cref="Bitrix24Exception"/> when the
    /// portal is unknown, uninstalled or needs re-authorisation.</summary>
    ValueTask<PortalAccess> GetAccessAsync(string memberId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Refreshes the portal's tokens once for all concurrent callers: a caller whose <paramref name="staleAccessToken"/>
    /// was already replaced gets the new token without another refresh (Bitrix24 refresh tokens are single-use).
    /// </summary>
    Task<PortalAccess> RefreshAsync(string memberId, string staleAccessToken, CancellationToken cancellationToken = default);
}
