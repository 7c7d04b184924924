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
    PortalVerifier verifier, PortalStore store, Bitrix24ClientFactory clients, IOptions<Bitrix24AppOptions> options,
    ILogger<PortalInstaller> logger)
{
    /// <summary>The events LineBridge listens to, as bound with <c>event.bind</c>.</summary>
    public static readonly IReadOnlyList<string> BoundEvents =
    [
        "OnImConnectorMessageAdd", "OnImConnectorMessageUpdate", "OnImConnectorMessageDelete",
        "OnImConnectorStatusDelete", "OnImConnectorLineDelete", "OnAppUninstall",
    ];

    /// <summary>Verifies the install credentials with the portal, then installs. Throws <see cref="PortalRejection"/> before storing anything.</summary>
    public async Task<Portal> InstallAsync(InstallRequest request, Uri publicBase, CancellationToken cancellationToken)
    {
        var restBase = FramePost.RestBase(request.Domain, request.Protocol)
            ?? throw new PortalRejection(400, "DOMAIN must be the portal's host name (and port), e.g. example.bitrix24.com.");
        await verifier.VerifyAuthIdAsync(request.MemberId, restBase, request.AccessToken, cancellationToken);
        var tokens = await verifier.ExchangeRefreshIdAsync(request.MemberId, restBase, request.RefreshToken, cancellationToken);

        var existing = store.Find(request.MemberId);
        var portal = store.Save(new Portal
        {
            MemberId = request.MemberId,
            Domain = restBase.Authority,
            ClientEndpoint = string.IsNullOrEmpty(tokens.ClientEndpoint) ? restBase.AbsoluteUri : tokens.ClientEndpoint,
            ServerEndpoint = tokens.ServerEndpoint,
            AccessToken = tokens.AccessToken,
            RefreshToken = tokens.RefreshToken,
            AccessTokenExpiresAt = tokens.ExpiresAt,
            // Older portals may not post it; keep the one we know rather than lose event verification.
            ApplicationToken = request.ApplicationToken ?? existing?.ApplicationToken,
            Scopes = request.Scopes ?? tokens.Scope,
            Language = request.Language ?? existing?.Language,
            Status = PortalStatus.Installed,
            InstalledByUserId = tokens.UserId ?? existing?.InstalledByUserId,
            InstalledAt = existing?.InstalledAt ?? default,
        });
        logger.LogInformation("Stored portal {PortalDomain} ({MemberId}); registering the connector and binding events", portal.Domain, portal.MemberId);

        var client = clients.ForPortal(portal.MemberId);
        await RegisterConnectorAsync(client, publicBase, cancellationToken);
        await BindEventsAsync(client, publicBase, cancellationToken);
        logger.LogInformation("Installed LineBridge on portal {PortalDomain} ({MemberId})", portal.Domain, portal.MemberId);
        return portal;
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
