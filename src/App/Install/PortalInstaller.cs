using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Events;
using LineBridge.Storage;
using Microsoft.Extensions.Options;

namespace LineBridge.Install;

/// <summary>
/// Installs LineBridge on a portal once the post is verified: stores the portal, registers the connector and binds
/// the events. Safe to repeat (re-install).
/// </summary>
public sealed class PortalInstaller(
    PortalVerifier verifier, InstallationProbe probe, PortalStore store, Bitrix24ClientFactory clients, IOptions<Bitrix24AppOptions> options,
    ILogger<PortalInstaller> logger)
{
    /// <summary>The events LineBridge listens to, as bound with <c>event.bind</c>.</summary>
    public static readonly IReadOnlyList<string> BoundEvents =
    [
        "OnImConnectorMessageAdd", "OnImConnectorMessageUpdate", "OnImConnectorMessageDelete",
        "OnImConnectorStatusDelete", "OnImConnectorLineDelete", "OnAppUninstall",
    ];

    /// <summary>
    /// Verifies the install with the portal, then installs. Every check runs before anything is written: the address is
    /// proven (<see cref="PortalVerifier"/>), the poster is a portal administrator (<c>user.admin</c>), the token pair
    /// comes from that administrator's <c>REFRESH_ID</c>, and a posted application token replaces a stored one only when
    /// the portal proves the old installation gone (<see cref="InstallationProbe"/>). Throws <see cref="PortalRejection"/>.
    /// </summary>
    public async Task<Portal> InstallAsync(InstallRequest request, Uri publicBase, CancellationToken cancellationToken)
    {
        var postedBase = FramePost.RestBase(request.Domain, request.Protocol)
            ?? throw new PortalRejection(400, "DOMAIN must be the portal's host name (and port), e.g. example.bitrix24.com.");
        var existing = store.Find(request.MemberId);
        var verified = await verifier.VerifyAsync(request.MemberId, postedBase, request.AccessToken, request.RefreshToken, existing, cancellationToken);
        if (!verified.IsAdmin)
        {
            throw new PortalRejection(403,
                $"Only a portal administrator can install LineBridge; user #{verified.User.Id} is not one. Ask an administrator to open the application.");
        }
        var tokens = verified.Exchanged
            ?? await verifier.ExchangeRefreshIdAsync(request.MemberId, verified.RestBase, request.RefreshToken, cancellationToken);
        if (tokens.UserId is { } owner && owner != verified.User.Id)
        {
            throw new PortalRejection(403, "AUTH_ID and REFRESH_ID belong to different users: open the application from the portal again.");
        }
        var applicationToken = await ApplicationTokenAsync(request, existing, cancellationToken);

        var portal = store.Save(new Portal
        {
            MemberId = request.MemberId,
            Domain = verified.RestBase.Authority,
            ClientEndpoint = string.IsNullOrEmpty(tokens.ClientEndpoint) ? verified.RestBase.AbsoluteUri : tokens.ClientEndpoint,
            ServerEndpoint = tokens.ServerEndpoint,
            AccessToken = tokens.AccessToken,
            RefreshToken = tokens.RefreshToken,
            AccessTokenExpiresAt = tokens.ExpiresAt,
            ApplicationToken = applicationToken,
            Scopes = request.Scopes ?? tokens.Scope,
            Language = request.Language ?? existing?.Language,
            Status = PortalStatus.Installed,
            InstalledByUserId = verified.User.Id,
            InstalledAt = existing?.InstalledAt ?? default,
        });
        logger.LogInformation("Stored portal {PortalDomain} ({MemberId}); registering the connector and binding events", portal.Domain, portal.MemberId);

        var client = clients.ForPortal(portal.MemberId);
        await RegisterConnectorAsync(client, publicBase, cancellationToken);
        await BindEventsAsync(client, publicBase, cancellationToken);
        logger.LogInformation("Installed LineBridge on portal {PortalDomain} ({MemberId})", portal.Domain, portal.MemberId);
        return portal;
    }

    /// <summary>
    /// The application token to store. Every user who opens the app sees it, so a posted one is only news when none is
    /// stored yet (first install, or the old one wiped by a confirmed uninstall), or when the portal refuses the old
    /// installation's credentials as an uninstalled app's (an uninstall whose event never arrived). A portal that posts
    /// none (older portals may not) keeps what is stored; its events are then confirmed with the portal one by one.
    /// </summary>
    private async Task<string?> ApplicationTokenAsync(InstallRequest request, Portal? existing, CancellationToken cancellationToken)
    {
        var stored = existing is { Status: not PortalStatus.Uninstalled } ? existing.ApplicationToken : null;
        if (string.IsNullOrEmpty(request.ApplicationToken)) return stored;
        if (string.IsNullOrEmpty(stored) || PortalVerifier.SecretsEqual(request.ApplicationToken, stored)) return request.ApplicationToken;
        var state = await probe.CheckAsync(request.MemberId, cancellationToken);
        if (state == InstallationState.Gone)
        {
            logger.LogInformation("Portal {MemberId} refused the old installation's credentials; the new application token replaces the old one", request.MemberId);
            return request.ApplicationToken;
        }
        throw new PortalRejection(409, state == InstallationState.Installed
            ? "APPLICATION_TOKEN differs from the one of LineBridge's current installation on this portal, which the portal still confirms: nothing was changed."
            : "APPLICATION_TOKEN differs from the stored one and the portal could not confirm that the old installation is gone: try again in a moment.");
    }

    private async Task RegisterConnectorAsync(Bitrix24Client client, Uri publicBase, CancellationToken cancellationToken)
    {
        var o = options.Value;
        await client.Connectors.RegisterAsync(new ConnectorRegistration
        {
            Id = o.ConnectorId,
            Name = o.ConnectorName,
            Icon = new ConnectorIcon { DataImage = ConnectorIconSvg.DataUrl, Color = "#2d6cdf", Size = "90%", Position = "center" },
            PlacementHandler = new Uri(publicBase, "placement").AbsoluteUri,
            EditInternalMessages = true,
            DelInternalMessages = true,
        }, cancellationToken);
    }

    private static async Task BindEventsAsync(Bitrix24Client client, Uri publicBase, CancellationToken cancellationToken)
    {
        var handler = new Uri(publicBase, "events").AbsoluteUri;
        var bound = (await client.Events.GetAsync(cancellationToken))
            .Where(b => string.Equals(b.Handler, handler, StringComparison.OrdinalIgnoreCase))
            .Select(b => b.Event.ToUpperInvariant())
            .ToHashSet();
        foreach (var name in BoundEvents.Where(e => !bound.Contains(e.ToUpperInvariant())))
        {
            try
            {
                await client.Events.BindAsync(name, handler, cancellationToken);
            }
            catch (Bitrix24Exception ex) when (ex.ErrorCode == Bitrix24Errors.ErrorCore &&
                                               ex.ErrorDescription.Contains("already binded", StringComparison.OrdinalIgnoreCase))
            {
                // Bound between our event.get and event.bind: the goal is reached.
            }
        }
    }
}

/// <summary>Credentials and context of an install, from the install frame or an ONAPPINSTALL event.</summary>
public sealed record InstallRequest(
    string MemberId, string Domain, string? Protocol, string AccessToken, string RefreshToken,
    string? ApplicationToken, string? Scopes, string? Language)
{
    public override string ToString() => $"InstallRequest {{ MemberId = {MemberId}, Domain = {Domain} }}";
}

/// <summary>The connector tile's icon: a small inline SVG (no external image).</summary>
internal static class ConnectorIconSvg
{
    private const string Svg =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 70 71\"><path fill=\"#fff\" d=\"M13 16h44a4 4 0 0 1 4 4v26a4 4 0 0 1-4 4H31l-12 9v-9h-6a4 4 0 0 1-4-4V20a4 4 0 0 1 4-4zm8 14v4h28v-4zm0 8v4h18v-4z\"/></svg>";

    public static readonly string DataUrl = "data:image/svg+xml," + Uri.EscapeDataString(Svg);
}
