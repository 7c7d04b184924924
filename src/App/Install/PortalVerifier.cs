using System.Net;
using System.Security.Cryptography;
using System.Text;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Storage;
using Microsoft.Extensions.Options;

namespace LineBridge.Install;

/// <summary>A frame's user as the portal confirmed them, at an address proven to be the portal's.</summary>
/// <param name="RestBase">The portal's REST base: the stored client endpoint, or one the OAuth server named.</param>
/// <param name="User">The user behind <c>AUTH_ID</c> (<c>user.current</c>).</param>
/// <param name="IsAdmin">The portal's answer to <c>user.admin</c> for that user.</param>
/// <param name="Exchanged">The app's token pair from <c>REFRESH_ID</c>, when the address had to be proven with it.</param>
public sealed record VerifiedUser(Uri RestBase, PortalUser User, bool IsAdmin, OAuthTokens? Exchanged)
{
    public override string ToString() => $"VerifiedUser {{ RestBase = {RestBase}, UserId = {User.Id}, IsAdmin = {IsAdmin} }}";
}

/// <summary>
/// Checks what a frame POST (or an <c>ONAPPINSTALL</c> event) claims before anything in it is used. The order is the
/// point: no call goes to an address until it is proven to be the portal's, either because it is the domain stored at
/// install or because the OAuth server (a trusted, configured address) answered a refresh of <c>REFRESH_ID</c> with it
/// as <c>client_endpoint</c> for this <c>member_id</c>. Only then is <c>AUTH_ID</c> checked there (<c>app.info</c> names
/// our client id, <c>user.current</c>, <c>user.admin</c>). Calls go through the verification client: one attempt, no
/// retry, no draw on the portal's rate budget. Refusals about an unproven address all read the same, so nobody can use
/// LineBridge to learn whether some host answers.
/// </summary>
public sealed class PortalVerifier(Bitrix24ClientFactory clients, IServiceProvider services, IOptions<Bitrix24AppOptions> options)
{
    /// <summary>The one answer for anything that could not be proven about an address (no host reachability leaks).</summary>
    public const string NotProven =
        "The portal could not confirm this request (DOMAIN, member_id and REFRESH_ID must belong to one portal): open the application from the portal again.";

    /// <summary>
    /// Proves the address and the user of a frame. <paramref name="stored"/> is the portal stored for the posted
    /// <c>member_id</c>, if any: its domain is proven; any other DOMAIN needs <paramref name="refreshId"/>.
    /// Throws <see cref="PortalRejection"/>.
    /// </summary>
    public async Task<VerifiedUser> VerifyAsync(
        string memberId, Uri postedRestBase, string authId, string? refreshId, Portal? stored, CancellationToken cancellationToken)
    {
        Uri restBase;
        OAuthTokens? exchanged = null;
        if (stored is not null && string.Equals(stored.Domain, postedRestBase.Authority, StringComparison.OrdinalIgnoreCase) &&
            Uri.TryCreate(stored.ClientEndpoint, UriKind.Absolute, out var storedBase))
        {
            restBase = storedBase;
        }
        else
        {
            if (string.IsNullOrEmpty(refreshId))
            {
                throw new PortalRejection(403, "DOMAIN is not the address LineBridge knows for this portal; REFRESH_ID is needed to confirm it. " + NotProven);
            }
            exchanged = await ExchangeRefreshIdAsync(memberId, postedRestBase, refreshId, cancellationToken);
            restBase = Uri.TryCreate(exchanged.ClientEndpoint, UriKind.Absolute, out var named) ? named : postedRestBase;
        }

        var client = clients.ForVerification(new UserCredentials(memberId, restBase, authId));
        try
        {
            var info = await client.App.InfoAsync(cancellationToken);
            var clientId = options.Value.ClientId;
            if (string.IsNullOrEmpty(clientId) || !string.Equals(info.Code, clientId, StringComparison.Ordinal))
            {
                throw new PortalRejection(403,
                    $"AUTH_ID belongs to application '{info.Code}', not to this LineBridge: check Bitrix24:ClientId and the portal's local application.");
            }
            if (info.Fields.TryGetValue("member_id", out var confirmed) && !string.Equals(confirmed, memberId, StringComparison.OrdinalIgnoreCase))
            {
                throw new PortalRejection(403, "member_id does not match the portal that issued AUTH_ID.");
            }
            var user = await client.Users.CurrentAsync(cancellationToken);
            var isAdmin = await client.Users.IsAdminAsync(cancellationToken);
            if (exchanged?.UserId is { } owner && owner != user.Id)
            {
                throw new PortalRejection(403, "AUTH_ID and REFRESH_ID belong to different users: open the application from the portal again.");
            }
            return new VerifiedUser(restBase, user, isAdmin, exchanged);
        }
        catch (Bitrix24Exception ex) when (ex.ErrorCode == Bitrix24Errors.NetworkError)
        {
            // The address is proven, so saying it did not answer tells nobody anything new.
            throw new PortalRejection(502, $"The portal at {restBase.Authority} did not answer: open the application again in a moment.");
        }
        catch (Bitrix24Exception ex)
        {
            var status = ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? 401 : 400;
            throw new PortalRejection(status,
                $"The portal refused AUTH_ID ({ex.ErrorCode}): open the application from the portal again.");
        }
    }

    /// <summary>
    /// Exchanges a posted refresh token for the app's own pair at the OAuth server. Only our client secret can do that,
    /// and the answer names the portal (<c>member_id</c>, <c>client_endpoint</c>), so it proves whose token it was and
    /// where that portal lives. Throws <see cref="PortalRejection"/>.
    /// </summary>
    public async Task<OAuthTokens> ExchangeRefreshIdAsync(string memberId, Uri postedRestBase, string refreshId, CancellationToken cancellationToken)
    {
        OAuthTokens tokens;
        try
        {
            tokens = await services.GetRequiredService<Bitrix24OAuthClient>().RefreshAsync(refreshId, cancellationToken);
        }
        catch (Bitrix24Exception ex) when (ex.ErrorCode == Bitrix24Errors.InvalidClient)
        {
            throw new PortalRejection(403, $"The OAuth server refused our client credentials ({ex.ErrorCode}): check Bitrix24:ClientId and Bitrix24:ClientSecret.");
        }
        catch (Bitrix24Exception ex)
        {
            throw new PortalRejection(401, $"The OAuth server refused REFRESH_ID ({ex.ErrorCode}): open the application from the portal again.");
        }

        if (!string.Equals(tokens.MemberId, memberId, StringComparison.OrdinalIgnoreCase))
        {
            throw new PortalRejection(403, "member_id does not match the portal the tokens belong to. " + NotProven);
        }
        if (!Uri.TryCreate(tokens.ClientEndpoint, UriKind.Absolute, out var endpoint) ||
            !string.Equals(endpoint.Authority, postedRestBase.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw new PortalRejection(403, "DOMAIN does not match the portal the tokens belong to. " + NotProven);
        }
        return tokens;
    }

    /// <summary>Constant-time comparison of a posted secret with the stored one; false when either is missing.</summary>
    public static bool SecretsEqual(string? posted, string? stored) =>
        !string.IsNullOrEmpty(posted) && !string.IsNullOrEmpty(stored) &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(posted), Encoding.UTF8.GetBytes(stored));
}
