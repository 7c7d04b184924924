using System.Globalization;
using System.Text.Json;
using LineBridge.Bitrix24;
using LineBridge.Install;
using LineBridge.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LineBridge.Placement;

public static class PlacementEndpoints
{
    public const string DefaultPlacement = "DEFAULT";
    public const string SettingConnectorPlacement = "SETTING_CONNECTOR";

    /// <summary>
    /// <c>POST /placement</c>: the portal opens the app (<c>DEFAULT</c>) or the connector settings (<c>SETTING_CONNECTOR</c>)
    /// by form POST. Verified with the portal, then <c>303</c> to the Blazor page with a signed ticket.
    /// </summary>
    public static IEndpointRouteBuilder MapPlacementEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/placement", OpenAsync).DisableAntiforgery();
        return endpoints;
    }

    internal static async Task<Results<SeeOther, ProblemHttpResult>> OpenAsync(
        HttpContext http, PortalVerifier verifier, VerificationLimiter limiter, PortalStore store, PlacementTickets tickets,
        PortalSessions sessions, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var post = await FramePost.ReadAsync(http.Request, cancellationToken);
        if (post is null) return Problem(400, "The placement request must be a form POST from the portal.");
        if (post.MissingField(needsRefreshId: false) is { } missing)
        {
            return Problem(400, $"The placement request lacks {missing}: open LineBridge from the portal.");
        }
        var restBase = FramePost.RestBase(post.Domain, post.Protocol);
        if (restBase is null) return Problem(400, "DOMAIN must be the portal's host name (and port), e.g. example.bitrix24.com.");

        // Everything below the store look-up is decided before any outbound call.
        var portal = store.Find(post.MemberId!);
        if (portal is null || portal.Status == PortalStatus.Uninstalled)
        {
            return Problem(404, "LineBridge is not installed on this portal (unknown member_id): install the application first.");
        }
        if (!string.IsNullOrEmpty(post.ApplicationToken) && !string.IsNullOrEmpty(portal.ApplicationToken) &&
            !PortalVerifier.SecretsEqual(post.ApplicationToken, portal.ApplicationToken))
        {
            return Problem(401, "APPLICATION_TOKEN does not match this portal's installation: reinstall the application if it was re-added.");
        }
        var sameDomain = string.Equals(portal.Domain, restBase.Authority, StringComparison.OrdinalIgnoreCase);
        if (!sameDomain && string.IsNullOrEmpty(post.RefreshId))
        {
            return Problem(403, "DOMAIN does not match the portal LineBridge was installed on; REFRESH_ID is needed to confirm it. " + PortalVerifier.NotProven);
        }

        using var lease = await limiter.AcquireAsync(VerificationLimiter.CallerOf(http), cancellationToken);
        if (lease is null) return InstallEndpoints.TooMany(http);
        try
        {
            var verified = await verifier.VerifyAsync(post.MemberId!, restBase, post.AuthId!, post.RefreshId, portal, cancellationToken);
            var user = verified.User;
            var isAdmin = verified.IsAdmin;

            // The stored pair is replaced only by an administrator's: after a proven rename, or when the portal refused
            // our refresh token. Anyone else opens the app as it stands.
            var reauthorize = portal.Status == PortalStatus.NeedsReauthorization && isAdmin;
            if (!sameDomain && !isAdmin)
            {
                return Problem(403, "The portal's address changed; an administrator must open LineBridge once to confirm the new address.");
            }
            if (!sameDomain || reauthorize)
            {
                if (string.IsNullOrEmpty(post.RefreshId))
                {
                    return Problem(403, "REFRESH_ID is needed to re-authorise LineBridge: open LineBridge from the portal.");
                }
                var tokens = verified.Exchanged
                    ?? await verifier.ExchangeRefreshIdAsync(post.MemberId!, verified.RestBase, post.RefreshId, cancellationToken);
                if (tokens.UserId is { } owner && owner != user.Id)
                {
                    return Problem(403, "AUTH_ID and REFRESH_ID belong to different users: open LineBridge from the portal again.");
                }
                portal = store.Save(portal with
                {
                    Domain = verified.RestBase.Authority,
                    ClientEndpoint = tokens.ClientEndpoint ?? verified.RestBase.AbsoluteUri,
                    AccessToken = tokens.AccessToken, RefreshToken = tokens.RefreshToken, AccessTokenExpiresAt = tokens.ExpiresAt,
                    Status = PortalStatus.Installed, StatusReason = null,
                });
                loggers.CreateLogger(typeof(PlacementEndpoints)).LogInformation(
                    "Portal {PortalDomain} ({MemberId}) re-authorised by administrator {UserId}", portal.Domain, portal.MemberId, user.Id);
            }

            var placement = string.IsNullOrEmpty(post.Placement) ? DefaultPlacement : post.Placement.ToUpperInvariant();
            var (connector, line) = placement == SettingConnectorPlacement ? ConnectorOptions(post.PlacementOptions) : (null, null);
            if (placement == SettingConnectorPlacement && (connector is null || line is null))
            {
                return Problem(400, "PLACEMENT_OPTIONS of SETTING_CONNECTOR must name CONNECTOR and LINE.");
            }

            // The portal just said who this user is: sessions opened under another role end now.
            sessions.EndIfRoleChanged(portal.MemberId, user.Id, isAdmin);
            var payload = new TicketPayload(portal.MemberId, portal.Domain, user.Id, user.DisplayName, isAdmin,
                post.Language ?? portal.Language ?? "en", placement, connector, line,
                // The user's own time zone in Bitrix24 (empty when they never set one: the UI then uses the browser's).
                user.Fields.GetValueOrDefault("TIME_ZONE") is { Length: > 0 } zone ? zone : null);
            // Administrator actions re-check the role with the portal using this (verified) token, held server-side only.
            if (isAdmin) sessions.KeepUserToken(payload.Id, post.AuthId!);
            var ticket = tickets.Issue(payload);
            var page = placement == SettingConnectorPlacement ? "/connector" : "/lines";
            return new SeeOther($"{page}?ticket={Uri.EscapeDataString(ticket)}");
        }
        catch (PortalRejection rejection)
        {
            return Problem(rejection.StatusCode, rejection.Message);
        }
        catch (Bitrix24Exception ex)
        {
            return Problem(502, $"The portal did not answer as expected: {ex.Method} answered {ex.ErrorCode}. Open LineBridge again.");
        }
    }

    private static (string? Connector, int? Line) ConnectorOptions(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return (null, null);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, null);
            string? connector = null;
            int? line = null;
            foreach (var p in root.EnumerateObject())
            {
                if (p.Name.Equals("CONNECTOR", StringComparison.OrdinalIgnoreCase)) connector = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                if (p.Name.Equals("LINE", StringComparison.OrdinalIgnoreCase))
                {
                    line = p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var n) ? n
                        : int.TryParse(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null;
                }
            }
            return (string.IsNullOrEmpty(connector) ? null : connector, line);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: "LineBridge could not open");
}

/// <summary>
/// <c>303 See Other</c>: the browser follows with a GET, so the Blazor page never receives the portal's POST
/// (<see cref="TypedResults.Redirect"/> answers 302, which some clients re-POST).
/// </summary>
public sealed class SeeOther(string location) : IResult
{
    public string Location { get; } = location;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
        httpContext.Response.Headers.Location = Location;
        return Task.CompletedTask;
    }
}
