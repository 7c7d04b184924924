using System.Net;
using LineBridge.Events;
using LineBridge.Placement;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LineBridge.Install;

public static class InstallEndpoints
{
    /// <summary><c>POST /install</c>: the portal's install frame (form POST, §2.2) or an <c>ONAPPINSTALL</c> event (§2.4).</summary>
    public static IEndpointRouteBuilder MapInstallEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // A cross-site form POST from the portal carries no antiforgery token; the portal verifies it instead.
        endpoints.MapPost("/install", InstallAsync).DisableAntiforgery();
        return endpoints;
    }

    internal static async Task<IResult> InstallAsync(
        HttpContext http, PortalInstaller installer, VerificationLimiter limiter, IOptions<Bitrix24AppOptions> options,
        CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType)
        {
            return Problem(400, "The install request must be a form POST from the portal.");
        }
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var isEvent = string.Equals(form["event"].ToString(), PortalEventNames.AppInstall, StringComparison.OrdinalIgnoreCase);
        InstallRequest request;
        if (isEvent)
        {
            string? Auth(string key) => form.TryGetValue($"auth[{key}]", out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;
            var missing = new[] { "member_id", "domain", "access_token", "refresh_token" }.FirstOrDefault(k => Auth(k) is null);
            if (missing is not null) return Problem(400, $"The ONAPPINSTALL event lacks auth[{missing}].");
            // The event names no protocol; take the scheme of client_endpoint when it is on the same host.
            var protocol = Uri.TryCreate(Auth("client_endpoint"), UriKind.Absolute, out var endpoint) &&
                           string.Equals(endpoint.Authority, Auth("domain"), StringComparison.OrdinalIgnoreCase) && endpoint.Scheme == "http"
                ? "0" : "1";
            request = new InstallRequest(Auth("member_id")!, Auth("domain")!, protocol, Auth("access_token")!, Auth("refresh_token")!,
                Auth("application_token"), Auth("scope"), form["data[LANGUAGE_ID]"].ToString() is { Length: > 0 } lang ? lang : null);
        }
        else
        {
            var post = await FramePost.ReadAsync(http.Request, cancellationToken);
            if (post!.MissingField(needsRefreshId: true) is { } missing)
            {
                return Problem(400, $"The install request lacks {missing}: open the application from the portal to install it.");
            }
            request = new InstallRequest(post.MemberId!, post.Domain!, post.Protocol, post.AuthId!, post.RefreshId!,
                post.ApplicationToken, post.ApplicationScope, post.Language);
        }

        // Nothing is verified yet: the caller gets a bounded share of verification work, never the portal's budget.
        using var lease = await limiter.AcquireAsync(VerificationLimiter.CallerOf(http), cancellationToken);
        if (lease is null) return TooMany(http);
        try
        {
            await installer.InstallAsync(request, PublicBase(http, options.Value), cancellationToken);
        }
        catch (PortalRejection rejection)
        {
            return Problem(rejection.StatusCode, rejection.Message);
        }
        catch (Bitrix24.Bitrix24Exception ex)
        {
            return Problem((int)HttpStatusCode.BadGateway,
                $"The portal refused a setup step: {ex.Method} answered {ex.ErrorCode} ({ex.ErrorDescription}). Open the application again to retry.");
        }

        if (isEvent) return TypedResults.Ok(new { installed = true });
        http.Response.Headers.ContentSecurityPolicy = "frame-ancestors " + Framing.InstallPolicy(options.Value);
        return TypedResults.Content(InstalledPage, "text/html; charset=utf-8");
    }

    /// <summary>The public base the portal reaches us at: configured, or (sandbox without one) this request's origin.</summary>
    internal static Uri PublicBase(HttpContext http, Bitrix24AppOptions options)
    {
        var configured = string.IsNullOrEmpty(options.PublicBaseUrl) ? $"{http.Request.Scheme}://{http.Request.Host}" : options.PublicBaseUrl;
        return new Uri(configured.EndsWith('/') ? configured : configured + "/");
    }

    /// <summary>429 with <c>Retry-After</c> for a caller over its share of verification work.</summary>
    internal static ProblemHttpResult TooMany(HttpContext http)
    {
        http.Response.Headers.RetryAfter = VerificationLimiter.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: 429, title: "Too many requests",
            detail: $"Too many unverified requests from this address are in progress: try again in {VerificationLimiter.RetryAfterSeconds} seconds.");
    }

    private static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: "LineBridge could not be installed");

    // Served by the app (no CDN): our bx24.js tells the portal the install finished, which reloads the portal page.
    private const string InstalledPage = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
            <meta charset="utf-8" />
            <title>LineBridge installed</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2937}h1{font-size:1.4rem}</style>
        </head>
        <body>
            <h1 id="status">Installed</h1>
            <p>LineBridge is connected to this portal. Its connector now appears in Contact Center.</p>
            <script src="/_content/LineBridge.Components/bx24.js"></script>
            <script>
                BX24.init(function () { BX24.installFinish(); });
            </script>
        </body>
        </html>
        """;
}
