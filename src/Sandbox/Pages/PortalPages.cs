using LineBridge.Sandbox.OAuth;
using LineBridge.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LineBridge.Sandbox.Pages;

/// <summary>The portal's pages.</summary>
internal static class PortalPages
{
    public static void Map(IEndpointRouteBuilder web, SandboxCore core, OAuthEndpoints oauth)
    {
        web.MapGet("/oauth/authorize/", (HttpContext http) =>
        {
            var portal = core.PortalByPort(http.Connection.LocalPort, http.Connection.LocalIpAddress);
            return portal is null ? Results.NotFound() : oauth.Authorize(http, portal, 1);
        });
    }
}
