using LineBridge.Bitrix24;
using LineBridge.Storage;
using Microsoft.Extensions.Options;

namespace LineBridge.Install;

/// <summary>
/// Keeps every installed portal's credentials alive. Tokens are refreshed on <c>expired_token</c> as calls need them;
/// a portal with no traffic for longer than the refresh token's lifetime would lose it and need an administrator to
/// open the app again. So once a quarter of <see cref="Bitrix24AppOptions.RefreshTokenLifetime"/> has passed since the
/// portal's refresh token was obtained, it is refreshed once (through <see cref="IPortalTokenSource"/>, serialized
/// with every other refresh of that portal). Busy portals refresh through their calls and are never touched here;
/// no portal is refreshed on every call or on a fixed timer (the reference warns that can get an app blocked).
/// </summary>
public sealed class TokenKeepAlive(
    PortalStore store, IPortalTokenSource tokens, IOptions<Bitrix24AppOptions> options, TimeProvider time,
    ILogger<TokenKeepAlive> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.Value.TokenKeepAliveInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "The token keep-alive failed a round; it tries again later");
                await Task.Delay(options.Value.TokenKeepAliveInterval, time, stoppingToken);
            }
        }
    }

    /// <summary>Refreshes the tokens of each portal whose refresh token is older than the keep-alive age; returns how many.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var due = options.Value.RefreshTokenLifetime / 4;
        var now = time.GetUtcNow();
        var refreshed = 0;
        foreach (var portal in store.All())
        {
            if (portal.Status is not (PortalStatus.Installed or PortalStatus.PaymentRequired)) continue;
            if (string.IsNullOrEmpty(portal.AccessToken) || string.IsNullOrEmpty(portal.RefreshToken)) continue;
            var issued = portal.RefreshTokenIssuedAt ?? portal.InstalledAt;
            if (now - issued < due) continue;
            try
            {
                await tokens.RefreshAsync(portal.MemberId, portal.AccessToken, cancellationToken);
                refreshed++;
                logger.LogInformation("Kept the tokens of quiet portal {PortalDomain} ({MemberId}) alive", portal.Domain, portal.MemberId);
            }
            catch (Bitrix24Exception ex)
            {
                // A refused refresh is recorded by the token source (the portal then needs re-authorisation); others retry next round.
                logger.LogWarning("Could not refresh the tokens of portal {PortalDomain} ({MemberId}): {ErrorCode}", portal.Domain, portal.MemberId, ex.ErrorCode);
            }
        }
        return refreshed;
    }
}
