using System.Collections.Concurrent;
using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Storage;

namespace LineBridge.Install;

/// <summary>
/// The stored tokens of installed portals, and their refresh. Bitrix24 refresh tokens are single-use, so a portal's
/// refreshes are serialized: concurrent callers wait for the one refresh and share its result, and the new pair is
/// persisted before anyone uses it (a crash after the refresh must not leave us holding a spent token). With several
/// instances on one database, <see cref="IPortalRefreshLock"/> extends the serialization across them.
/// </summary>
public sealed class PortalTokens(
    PortalStore store, IPortalRefreshLock refreshLock, IServiceProvider services, ILogger<PortalTokens> logger,
    Observability.LineBridgeMetrics? metrics = null) : IPortalTokenSource
{
    private const string AuthMethod = "oauth/token";
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _refreshLocks = new();

    public ValueTask<PortalAccess> GetAccessAsync(string memberId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Usable(store.Find(memberId), memberId));

    public async Task<PortalAccess> RefreshAsync(string memberId, string staleAccessToken, CancellationToken cancellationToken = default)
    {
        var gate = _refreshLocks.GetOrAdd(memberId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            // One caller per instance reaches here; the shared lock lets one instance at a time refresh, and the
            // tokens are read only after it is held, so a refresh another instance just made is seen.
            await using var shared = await refreshLock.AcquireAsync(memberId, cancellationToken);
            var portal = store.Find(memberId);
            var current = Usable(portal, memberId);
            if (current.AccessToken != staleAccessToken) return current; // another caller refreshed meanwhile
            if (string.IsNullOrEmpty(portal!.RefreshToken))
            {
                throw NeedsReauthorization(portal, Bitrix24Errors.InvalidGrant, "No refresh token is stored.", null);
            }

            OAuthTokens fresh;
            try
            {
                fresh = await services.GetRequiredService<Bitrix24OAuthClient>().RefreshAsync(portal.RefreshToken, cancellationToken);
            }
            catch (Bitrix24Exception ex) when (ex.ErrorCode is Bitrix24Errors.InvalidGrant or Bitrix24Errors.InvalidClient)
            {
                metrics?.TokenRefreshed(memberId, refreshed: false);
                throw NeedsReauthorization(portal, ex.ErrorCode, ex.ErrorDescription, ex);
            }

            var saved = store.Save(portal with
            {
                AccessToken = fresh.AccessToken,
                RefreshToken = fresh.RefreshToken,
                AccessTokenExpiresAt = fresh.ExpiresAt,
                ClientEndpoint = string.IsNullOrEmpty(fresh.ClientEndpoint) ? portal.ClientEndpoint : fresh.ClientEndpoint,
                ServerEndpoint = fresh.ServerEndpoint ?? portal.ServerEndpoint,
            });
            metrics?.TokenRefreshed(memberId, refreshed: true);
            logger.LogInformation("Refreshed the tokens of portal {PortalDomain} ({MemberId})", saved.Domain, memberId);
            return new PortalAccess(new Uri(saved.ClientEndpoint), saved.AccessToken!);
        }
        finally
        {
            gate.Release();
        }
    }

    private Bitrix24Exception NeedsReauthorization(Portal portal, string errorCode, string description, Exception? inner)
    {
        var reason = $"The portal refused LineBridge's refresh token ({errorCode}). An administrator must open LineBridge in the portal again.";
        store.MarkNeedsReauthorization(portal.MemberId, reason);
        logger.LogError("Portal {PortalDomain} ({MemberId}) refused the refresh token with {ErrorCode}: {ErrorDescription}; it needs re-authorisation",
            portal.Domain, portal.MemberId, errorCode, description);
        return new Bitrix24Exception(AuthMethod, HttpStatusCode.Unauthorized, Bitrix24Errors.ReauthorizationRequired, reason, inner);
    }

    private static PortalAccess Usable(Portal? portal, string memberId)
    {
        if (portal is null || portal.Status == PortalStatus.Uninstalled || string.IsNullOrEmpty(portal.AccessToken))
        {
            throw new Bitrix24Exception(AuthMethod, HttpStatusCode.Unauthorized, Bitrix24Errors.PortalNotInstalled,
                $"LineBridge is not installed on portal {memberId}.");
        }
        if (portal.Status == PortalStatus.NeedsReauthorization)
        {
            throw new Bitrix24Exception(AuthMethod, HttpStatusCode.Unauthorized, Bitrix24Errors.ReauthorizationRequired,
                portal.StatusReason ?? "An administrator must open LineBridge in the portal again.");
        }
        return new PortalAccess(new Uri(portal.ClientEndpoint), portal.AccessToken);
    }
}
