using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Components.Portal;
using LineBridge.Events;
using LineBridge.Placement;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LineBridge.Install;

public static class Bitrix24AppServiceCollectionExtensions
{
    /// <summary>
    /// LineBridge as a Bitrix24 application: options (section <c>Bitrix24</c>, validated at start when a real portal is
    /// configured), the typed client, the portal registry and token refresh, install/uninstall, event verification and
    /// the iframe sessions. Needs <c>AddStorage()</c>.
    /// </summary>
    public static IHostApplicationBuilder AddBitrix24App(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<Bitrix24AppOptions>().BindConfiguration(Bitrix24AppOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Bitrix24AppOptions>, Bitrix24AppOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddBitrix24Client();
        services.AddSingleton(sp => new PortalStore(sp.GetRequiredService<IPortalRecords>(),
            sp.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<PortalTokens>();
        services.AddSingleton<IPortalTokenSource>(sp => sp.GetRequiredService<PortalTokens>());
        services.AddSingleton<PortalVerifier>();
        services.AddSingleton<VerificationLimiter>();
        services.AddSingleton<InstallationProbe>();
        services.AddSingleton<PortalInstaller>();
        services.AddSingleton<IPortalEventHandler, UninstallEventHandler>();
        // Received events: the durable inbox, confirmation with the portal, and the worker that applies them.
        services.AddOptions<EventOptions>().BindConfiguration(EventOptions.Section)
            .Validate(o => o.MaxAge > TimeSpan.Zero && o.MaxClockSkew >= TimeSpan.Zero && o.PollInterval > TimeSpan.Zero, "Events: MaxAge and PollInterval must be positive.")
            .Validate(o => o.ConfirmationsPerMinute > 0 && o.MaxPendingPerPortal > 0 && o.MaxAttempts > 0, "Events: limits must be positive.")
            .ValidateOnStart();
        services.AddSingleton<EventInbox>();
        services.AddSingleton<EventSignal>();
        services.AddSingleton<EventConfirmer>();
        services.AddSingleton<EventProcessor>();
        services.AddHostedService(sp => sp.GetRequiredService<EventProcessor>());
        services.AddSingleton<PlacementTickets>();
        services.AddSingleton<PortalSessions>();
        services.AddSingleton<IPortalSessions>(sp => sp.GetRequiredService<PortalSessions>());

        // The app lives in the portal's frame: CSP frame-ancestors decides who may frame it, not X-Frame-Options.
        services.AddAntiforgery(o => o.SuppressXFrameOptionsHeader = true);
        return builder;
    }

    /// <summary><c>POST /install</c>, <c>POST /events</c>, <c>POST /placement</c>.</summary>
    public static IEndpointRouteBuilder MapBitrix24Endpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGroup("").AddEndpointFilter(UnreadableForm.AsBadRequest)
            .MapInstallEndpoints().MapEventEndpoints().MapPlacementEndpoints();
        return endpoints;
    }
}

/// <summary>
/// A configured ClientId means a real portal: then ClientSecret and an https PublicBaseUrl (http only on loopback) are
/// required. Without one the app runs in sandbox mode, where the in-process sandbox supplies them.
/// </summary>
internal sealed class Bitrix24AppOptionsValidator : IValidateOptions<Bitrix24AppOptions>
{
    public ValidateOptionsResult Validate(string? name, Bitrix24AppOptions options)
    {
        var failures = new List<string>();
        if (options.RequestsPerSecond <= 0) failures.Add("Bitrix24:RequestsPerSecond must be positive.");
        if (options.Burst < 1) failures.Add("Bitrix24:Burst must be at least 1.");
        if (string.IsNullOrEmpty(options.ConnectorId) || options.ConnectorId.Contains('.') || options.ConnectorId != options.ConnectorId.ToLowerInvariant())
        {
            failures.Add("Bitrix24:ConnectorId must be lower case without dots.");
        }
        if (!string.IsNullOrEmpty(options.ClientId))
        {
            if (string.IsNullOrEmpty(options.ClientSecret))
            {
                failures.Add("Bitrix24:ClientSecret is required when Bitrix24:ClientId is set (use user-secrets or the Bitrix24__ClientSecret environment variable).");
            }
            if (!Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var publicBase) || publicBase.Scheme is not ("http" or "https"))
            {
                failures.Add("Bitrix24:PublicBaseUrl is required when Bitrix24:ClientId is set: the URL portals reach LineBridge at, e.g. https://linebridge.example.com.");
            }
            else if (publicBase.Scheme != "https" && !IsLoopback(publicBase))
            {
                failures.Add("Bitrix24:PublicBaseUrl must use https (http is accepted on loopback only).");
            }
            if (!Uri.TryCreate(options.OAuthServer, UriKind.Absolute, out _)) failures.Add("Bitrix24:OAuthServer must be an absolute URL.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip));
}
