using LineBridge.Install;
using LineBridge.Storage;
using Microsoft.Extensions.Options;

namespace LineBridge.Placement;

/// <summary>
/// Who may frame the app (CSP <c>frame-ancestors</c>), computed per request from the store so it follows installs and
/// holds across several instances sharing one store: the install page may be framed by Bitrix24's cloud portal
/// domains and the configured self-hosted origins (its portal is not installed yet); every other page only by the
/// origins of installed portals and the configured sandbox portals.
/// </summary>
public static class Framing
{
    /// <summary>The install page's policy value, e.g. <c>'self' https://*.bitrix24.com ...</c>.</summary>
    public static string InstallPolicy(Bitrix24AppOptions options) =>
        Join(options.FrameAncestors.Concat(options.SelfHostedOrigins).Concat(options.SandboxOrigins));

    /// <summary>Every other page's policy value: the installed portals' origins and the sandbox portals.</summary>
    public static string PagePolicy(Bitrix24AppOptions options, IEnumerable<Portal> portals) =>
        Join(portals.Where(p => p.Status != PortalStatus.Uninstalled).Select(Origin).OfType<string>().Concat(options.SandboxOrigins));

    /// <summary>The origin a portal's pages are served from: the scheme of its REST endpoint and its domain.</summary>
    public static string? Origin(Portal portal)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var scheme = Uri.TryCreate(portal.ClientEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme == "http" ? "http" : "https";
        return Uri.TryCreate($"{scheme}://{portal.Domain}", UriKind.Absolute, out var origin) ? origin.GetLeftPart(UriPartial.Authority) : null;
    }

    /// <summary>The external API's policy value: its JSON answers are no page, so nothing may frame them.</summary>
    public const string ApiPolicy = "'none'";

    /// <summary>
    /// Sets the policy on every answer that sets none of its own (the install page sets its own): the page policy, or
    /// <see cref="ApiPolicy"/> for the external API (<c>/api/</c>). The API's answers skip the store read the page
    /// policy needs: it took a read of every portal per accepted message.
    /// </summary>
    public static IApplicationBuilder UseFramingPolicy(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            if (!headers.ContainsKey("Content-Security-Policy"))
            {
                if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
                {
                    headers.ContentSecurityPolicy = "frame-ancestors " + ApiPolicy;
                    return Task.CompletedTask;
                }
                var options = context.RequestServices.GetRequiredService<IOptions<Bitrix24AppOptions>>().Value;
                // Only who is installed and where: the tokens stay encrypted (decrypting them was most of the cost).
                var portals = context.RequestServices.GetRequiredService<PortalStore>().AllWithoutSecrets();
                headers.ContentSecurityPolicy = "frame-ancestors " + PagePolicy(options, portals);
            }
            return Task.CompletedTask;
        });
        return next(context);
    });

    private static string Join(IEnumerable<string> origins) =>
        string.Join(' ', new[] { "'self'" }.Concat(origins.Where(o => !string.IsNullOrWhiteSpace(o)).Distinct(StringComparer.OrdinalIgnoreCase)));
}
