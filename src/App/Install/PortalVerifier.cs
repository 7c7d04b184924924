using System.Net;
using System.Security.Cryptography;
using System.Text;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using Microsoft.Extensions.Options;

namespace LineBridge.Install;

/// <summary>
/// Asks the portal whether a posted token is real and ours before anything from the post is trusted:
/// <c>app.info</c> with the token must name our client id, and the token server must confirm the <c>member_id</c>.
/// </summary>
public sealed class PortalVerifier(Bitrix24ClientFactory clients, IServiceProvider services, IOptions<Bitrix24AppOptions> options)
{
    /// <summary>Checks <paramref name="authId"/> with the portal at <paramref name="restBase"/>; returns a client acting as that user.</summary>
    public async Task<(Bitrix24Client Client, AppInfo Info)> VerifyAuthIdAsync(
        string memberId, Uri restBase, string authId, CancellationToken cancellationToken)
    {
        var client = clients.ForUser(new UserCredentials(memberId, restBase, authId));
        AppInfo info;
        try
        {
            info = await client.App.InfoAsync(cancellationToken);
        }
        catch (Bitrix24Exception ex) when (ex.ErrorCode == Bitrix24Errors.NetworkError)
        {
            throw new PortalRejection(400, $"The portal at {restBase.Authority} could not be reached: check DOMAIN and PROTOCOL.");
        }
        catch (Bitrix24Exception ex)
        {
            var status = ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? 401 : 400;
            throw new PortalRejection(status,
                $"The portal at {restBase.Authority} refused AUTH_ID ({ex.ErrorCode}): open the application from the portal again.");
        }

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
        return (client, info);
    }

    /// <summary>
    /// Exchanges a posted refresh token for the app's own pair. Only our client secret can do that, and the token server
    /// names the portal (<c>member_id</c>, <c>client_endpoint</c>), so this proves whose token it was.
    /// </summary>
    public async Task<OAuthTokens> ExchangeRefreshIdAsync(string memberId, Uri restBase, string refreshId, CancellationToken cancellationToken)
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
            throw new PortalRejection(403, "member_id does not match the portal the tokens belong to.");
        }
        if (Uri.TryCreate(tokens.ClientEndpoint, UriKind.Absolute, out var endpoint) &&
            !string.Equals(endpoint.Authority, restBase.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw new PortalRejection(403, "DOMAIN does not match the portal the tokens belong to.");
        }
        return tokens;
    }

    /// <summary>Constant-time comparison of a posted secret with the stored one; false when either is missing.</summary>
    public static bool SecretsEqual(string? posted, string? stored) =>
        !string.IsNullOrEmpty(posted) && !string.IsNullOrEmpty(stored) &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(posted), Encoding.UTF8.GetBytes(stored));
}
