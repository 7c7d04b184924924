using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;
using Microsoft.AspNetCore.Http;

namespace LineBridge.Sandbox.OAuth;

/// <summary>
/// The OAuth server (§3): <c>/oauth/token/</c> on every portal's origin plays oauth.bitrix.info and accepts every
/// portal's tokens; <c>/oauth/authorize/</c> issues codes for the portal's current user.
/// </summary>
internal sealed class OAuthEndpoints(SandboxCore core)
{
    private readonly Dictionary<string, (string MemberId, int UserId, DateTimeOffset Expires)> _codes = [];

    public async Task TokenAsync(HttpContext http)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in http.Request.Query) fields[key] = value.ToString();
        if (HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType)
        {
            try
            {
                var form = await http.Request.ReadFormAsync(http.RequestAborted);
                foreach (var (key, value) in form) fields[key] = value.ToString();
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
            {
                await WriteAsync(http, 400, Error(ErrorCodes.OAuthInvalidRequest, "Malformed request"));
                return;
            }
        }
        var (status, body) = Token(fields);
        await WriteAsync(http, status, body);
    }

    private (int Status, JsonObject Body) Token(Dictionary<string, string> f)
    {
        var grant = f.GetValueOrDefault("grant_type");
        if (grant is not ("refresh_token" or "authorization_code"))
            return (400, Error(ErrorCodes.OAuthInvalidRequest, "grant_type must be authorization_code or refresh_token"));
        lock (core.Gate)
        {
            try
            {
                if (f.GetValueOrDefault("client_id") != core.State.ClientId
                    || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                        System.Text.Encoding.UTF8.GetBytes(f.GetValueOrDefault("client_secret") ?? ""), System.Text.Encoding.UTF8.GetBytes(core.State.ClientSecret)))
                {
                    return (401, Error(ErrorCodes.OAuthInvalidClient, "Invalid client credentials"));
                }
                string memberId;
                int userId;
                var now = core.Now;
                if (grant == "authorization_code")
                {
                    var code = f.GetValueOrDefault("code") ?? "";
                    if (!_codes.Remove(code, out var entry) || entry.Expires < now) return (400, Error(ErrorCodes.OAuthInvalidGrant, "Invalid authorization code"));
                    (memberId, userId) = (entry.MemberId, entry.UserId);
                }
                else
                {
                    var refresh = f.GetValueOrDefault("refresh_token") ?? "";
                    if (!core.State.RefreshTokens.TryGetValue(refresh, out var record) || record.Expires < now
                        || (record.RevokedAt is { } revoked && (core.Switches.RefreshTokenSingleUse || revoked + core.Switches.RefreshGracePeriod < now)))
                    {
                        return (400, Error(ErrorCodes.OAuthInvalidGrant, "Invalid refresh token"));
                    }
                    // Rotation: the old refresh token stops working (at once by default).
                    record.RevokedAt ??= now;
                    (memberId, userId) = (record.MemberId, record.UserId);
                }
                var portal = core.PortalByMemberId(memberId);
                if (portal is null || !portal.State.AppAdded) return (401, Error(ErrorCodes.OAuthInvalidClient, "Application is not installed"));
                var tokens = core.IssueTokens(portal.State, userId);
                return (200, new JsonObject
                {
                    ["access_token"] = tokens.AccessToken,
                    ["expires"] = tokens.Expires.ToUnixTimeSeconds(),
                    ["expires_in"] = tokens.ExpiresIn,
                    ["scope"] = tokens.Scope,
                    ["domain"] = core.OAuthDomain,
                    ["server_endpoint"] = core.ServerEndpoint,
                    ["status"] = portal.Options.PlanStatus,
                    ["client_endpoint"] = portal.RestUri.ToString(),
                    ["member_id"] = memberId,
                    ["user_id"] = userId,
                    ["refresh_token"] = tokens.RefreshToken,
                });
            }
            finally
            {
                core.SaveIfDirty();
            }
        }
    }

    /// <summary>The code flow's first step: answers a redirect to the app's handler URL with a 30-second code.</summary>
    public IResult Authorize(HttpContext http, SandboxPortal portal, int userId)
    {
        var clientId = http.Request.Query["client_id"].ToString();
        lock (core.Gate)
        {
            if (clientId != core.State.ClientId || !portal.State.AppAdded)
                return Results.Content("<!doctype html><title>Error</title><p>The application was not found on this portal.</p>", "text/html", statusCode: 400);
            var code = SandboxCore.NewSecret();
            foreach (var stale in _codes.Where(c => c.Value.Expires < core.Now).Select(c => c.Key).ToList()) _codes.Remove(stale);
            _codes[code] = (portal.MemberId, userId, core.Now + core.Options.AuthorizationCodeLifetime);
            var query = new Dictionary<string, string?>
            {
                ["code"] = code,
                ["state"] = http.Request.Query["state"].ToString(),
                ["domain"] = portal.Domain,
                ["member_id"] = portal.MemberId,
                ["scope"] = core.State.Scopes,
                ["server_domain"] = core.OAuthDomain,
            };
            return Results.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(core.State.HandlerUrl, query));
        }
    }

    private static JsonObject Error(string code, string description) => new() { ["error"] = code, ["error_description"] = description };

    private static async Task WriteAsync(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }
}
