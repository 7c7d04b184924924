using LineBridge.Bitrix24;
using LineBridge.Storage;

namespace LineBridge.Install;

/// <summary>What the portal says about LineBridge's installation when asked with the app's own stored tokens.</summary>
public enum InstallationState
{
    /// <summary>The portal accepted the app's tokens and reports the app installed.</summary>
    Installed,
    /// <summary>The portal refused the app's tokens as belonging to an uninstalled app: the installation is gone.</summary>
    Gone,
    /// <summary>No answer that decides it (outage, rate limit, a renamed portal's 302, <c>PAYMENT_REQUIRED</c>, ...).</summary>
    Unknown,
}

/// <summary>
/// The one rule for "this installation is gone", shared by everything that must not take a portal's word from a
/// posted field (an <c>ONAPPUNINSTALL</c> event, a re-install with a new application token, a send API that refuses
/// work for an uninstalled portal). Gone means the portal refused the app's own credentials the way it refuses an
/// uninstalled app: <c>app.info</c> says <c>INSTALLED: false</c>, REST answers <c>APPLICATION_NOT_FOUND</c> (§3.3), or
/// the token server refuses the stored refresh token (<c>invalid_grant</c>/<c>invalid_client</c>, §3.2) once the
/// access token is no longer accepted. An outage, a rate limit, a redirect or <c>PAYMENT_REQUIRED</c> never counts.
/// Nothing a browser holds can produce these answers for the app's own tokens.
/// </summary>
public sealed class InstallationProbe(
    PortalStore store, Bitrix24ClientFactory clients, PortalTokens tokens, ILogger<InstallationProbe> logger)
{
    /// <summary>True for a refusal that says the app's credentials belong to an uninstalled app.</summary>
    public static bool IsUninstalledAppRefusal(Bitrix24Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        // ReauthorizationRequired is raised only when the token server refused our refresh token (invalid_grant or
        // invalid_client): the stored credentials are dead, which is what an uninstall does to them.
        return ex.ErrorCode is Bitrix24Errors.ApplicationNotFound or Bitrix24Errors.ReauthorizationRequired
            or Bitrix24Errors.PortalNotInstalled;
    }

    /// <summary>Asks the portal, with the app's stored tokens, whether LineBridge is still installed.</summary>
    public async Task<InstallationState> CheckAsync(string memberId, CancellationToken cancellationToken = default)
    {
        var portal = store.Find(memberId);
        if (portal is null || portal.Status == PortalStatus.Uninstalled) return InstallationState.Gone;
        // The token server already refused our refresh token: nothing of the old installation can speak any more.
        if (portal.Status == PortalStatus.NeedsReauthorization) return InstallationState.Gone;

        var client = clients.ForPortal(memberId);
        try
        {
            return await InstalledAsync(client, cancellationToken);
        }
        catch (Bitrix24Exception ex) when (ex.ErrorCode is Bitrix24Errors.NoAuthFound or Bitrix24Errors.InvalidToken && portal.AccessToken is { } stale)
        {
            // The access token is unknown to the portal (revoked). Only the token server can tell a revoked
            // installation from a lost token: refresh once.
            try
            {
                await tokens.RefreshAsync(memberId, stale, cancellationToken);
                return await InstalledAsync(client, cancellationToken);
            }
            catch (Bitrix24Exception again) when (IsUninstalledAppRefusal(again))
            {
                return InstallationState.Gone;
            }
            catch (Bitrix24Exception again)
            {
                logger.LogWarning("Could not tell whether portal {MemberId} still has LineBridge installed ({ErrorCode})", memberId, again.ErrorCode);
                return InstallationState.Unknown;
            }
        }
        catch (Bitrix24Exception ex) when (IsUninstalledAppRefusal(ex))
        {
            return InstallationState.Gone;
        }
        catch (Bitrix24Exception ex)
        {
            logger.LogWarning("Could not tell whether portal {MemberId} still has LineBridge installed ({ErrorCode})", memberId, ex.ErrorCode);
            return InstallationState.Unknown;
        }
    }

    private static async Task<InstallationState> InstalledAsync(Bitrix24Client client, CancellationToken cancellationToken)
    {
        var info = await client.App.InfoAsync(cancellationToken);
        // Only an explicit INSTALLED=false counts; a portal that leaves the field out says nothing.
        return info.Fields.ContainsKey("INSTALLED") && !info.Installed ? InstallationState.Gone : InstallationState.Installed;
    }
}
