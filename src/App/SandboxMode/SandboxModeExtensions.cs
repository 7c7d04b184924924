using LineBridge.Install;
using LineBridge.Sandbox;
using LineBridge.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LineBridge.SandboxMode;

/// <summary>
/// Sandbox mode: with no <c>Bitrix24:ClientId</c> configured, LineBridge starts the sandbox portal in its own process
/// and talks to it as it would to a real portal, over loopback HTTP. A newcomer sees the whole flow in one command.
/// </summary>
public static class SandboxModeExtensions
{
    /// <summary>True when no real portal is configured.</summary>
    public static bool IsSandboxMode(this IConfiguration configuration) =>
        string.IsNullOrWhiteSpace(configuration[$"{Bitrix24AppOptions.Section}:{nameof(Bitrix24AppOptions.ClientId)}"]);

    /// <summary>
    /// In sandbox mode, starts the sandbox portal and points LineBridge at it: the seeded local application's client
    /// id and secret (kept in memory only), the sandbox's OAuth server, and its origins allowed to frame the app.
    /// </summary>
    public static async Task<SandboxHost?> AddSandboxPortalAsync(this WebApplicationBuilder builder)
    {
        if (!builder.Configuration.IsSandboxMode()) return null;

        var options = builder.Configuration.GetSection(SandboxModeOptions.Section).Get<SandboxModeOptions>() ?? new();
        var appUrl = AppUrls(builder.Configuration).FirstOrDefault() ?? "http://127.0.0.1:5080";
        var dataDirectory = StorageServiceCollectionExtensions.DataDirectory(builder.Configuration, builder.Environment);
        Directory.CreateDirectory(dataDirectory);

        var sandbox = await SandboxHost.StartAsync(new SandboxOptions
        {
            Portals = Enumerable.Range(0, Math.Max(1, options.Portals)).Select(i => new SandboxPortalOptions
            {
                MemberId = SandboxPortalOptions.DefaultMemberId(i + 1),
                Host = options.Host,
                Port = options.Port == 0 ? 0 : options.Port + i,
            }).ToList(),
            AccessTokenLifetime = options.AccessTokenLifetime,
            // The sandbox keeps its state beside ours, so a restart finds the app still installed with valid tokens.
            StateFile = Path.Combine(dataDirectory, "sandbox-state.json"),
            HandlerUrl = $"{appUrl.TrimEnd('/')}/placement",
            InstallUrl = $"{appUrl.TrimEnd('/')}/install",
        });

        builder.Services.AddSingleton(sandbox);
        // The sandbox's demo webhooks run on this machine: allow loopback destinations (only in sandbox mode).
        builder.Services.PostConfigure<LineBridge.Outbound.DestinationOptions>(o =>
        {
            if (!o.Allow.Contains(nameof(LineBridge.Outbound.AddressKind.Loopback), StringComparer.OrdinalIgnoreCase)) o.Allow.Add(nameof(LineBridge.Outbound.AddressKind.Loopback));
        });
        builder.Services.PostConfigure<Bitrix24AppOptions>(app =>
        {
            app.ClientId = sandbox.App.ClientId;
            app.ClientSecret = sandbox.App.ClientSecret;
            app.OAuthServer = sandbox.OAuthUri.ToString();
            app.PublicBaseUrl ??= appUrl;
            app.SandboxOrigins = [.. sandbox.Portals.Select(p => p.BaseUri.GetLeftPart(UriPartial.Authority))];
        });
        return sandbox;
    }

    /// <summary>
    /// Once the app listens, tells the sandbox's local application where the app really is (the port may have been
    /// chosen by the OS), and stops the sandbox with the app.
    /// </summary>
    public static void UseSandboxPortal(this WebApplication app)
    {
        if (app.Services.GetService<SandboxHost>() is not { } sandbox) return;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var address = ListeningAddress(app);
            if (address is not null) sandbox.ConfigureApp($"{address}/placement", $"{address}/install");
        });
        app.Lifetime.ApplicationStopped.Register(() => sandbox.DisposeAsync().AsTask().GetAwaiter().GetResult());
    }

    /// <summary>The address the app is reachable at: an IP loopback one when there is a choice.</summary>
    public static string? ListeningAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses?.Select(a => a.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1").TrimEnd('/'))
            .OrderBy(a => a.Contains("localhost", StringComparison.OrdinalIgnoreCase))
            .FirstOrDefault();
    }

    private static IEnumerable<string> AppUrls(IConfiguration configuration) =>
        (configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(url => url.Replace("localhost", "127.0.0.1").TrimEnd('/'))
            .Where(url => !url.Contains('*') && !url.Contains("+:"));
}
