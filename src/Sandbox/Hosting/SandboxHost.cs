using System.Net;
using System.Net.Sockets;
using LineBridge.Sandbox.Inspection;
using LineBridge.Sandbox.OAuth;
using LineBridge.Sandbox.Pages;
using LineBridge.Sandbox.Rest;
using LineBridge.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LineBridge.Sandbox;

/// <summary>
/// Runs the sandbox: one Kestrel server with a listener per emulated portal (each its own origin). Start it with
/// <see cref="StartAsync"/>, dispose it to stop.
/// </summary>
public sealed class SandboxHost : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly SandboxCore _core;
    private readonly CancellationTokenSource _stopping = new();

    private SandboxHost(WebApplication web, SandboxCore core)
    {
        _web = web;
        _core = core;
        App = new SandboxApp(core);
    }

    /// <summary>The emulated portals; <c>Portals[0]</c> is the default portal.</summary>
    public IReadOnlyList<SandboxPortal> Portals => _core.Portals;

    /// <summary>The seeded local application (same client id on every portal).</summary>
    public SandboxApp App { get; }

    /// <summary>
    /// The OAuth server's base address (<c>http://{host}:{port}/</c>, its own origin, distinct from every portal's):
    /// what Bitrix24 calls oauth.bitrix.info. Token answers name it in <c>domain</c> and <c>server_endpoint</c>.
    /// </summary>
    public Uri OAuthUri => new($"http://{_core.OAuthDomain}/");

    /// <summary>
    /// The self-signed certificate of the portals' HTTPS listeners (generated at start, kept in memory), or null when
    /// no portal has one. Trust its public part to call the HTTPS origin.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate => _core.Certificate;

    /// <summary>Run-time fault control.</summary>
    public FaultInjector Faults => _core.Faults;

    /// <summary>
    /// Holds every event delivery (all portals) until the returned handle is disposed; then the held deliveries go out,
    /// newest first when <see cref="SandboxSwitches.EventsOutOfOrder"/> is on. For tests of out-of-order events.
    /// </summary>
    public IDisposable HoldEvents() => _core.Events.Hold();

    /// <summary>Starts the sandbox on the configured hosts and ports (port 0 = a free port).</summary>
    public static async Task<SandboxHost> StartAsync(SandboxOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Portals.Count == 0) throw new ArgumentException("At least one portal is needed.", nameof(options));
        var time = TimeProvider.System;
        var state = Seeder.Seed(options, SandboxCore.Load(options.StateFile), time.GetUtcNow());
        var core = new SandboxCore(options, state, time);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SandboxHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        // Request lines can carry client secrets and tokens, so the sandbox logs warnings only unless told otherwise.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Hosted inside another app, Kestrel sees that app's ASPNETCORE_URLS and warns that the sandbox's own
        // listeners (below) override them, which is the point; its errors still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
        if (options.ConfigureLogging is { } configure) configure(builder.Logging);
        else builder.Logging.AddSimpleConsole();

        var certificate = options.Portals.Any(p => p.HttpsPort is not null)
            ? SandboxCertificate.Create(options.Portals.Select(p => p.Host).Append(options.OAuthHost ?? ""), time.GetUtcNow())
            : null;
        core.Certificate = certificate;
        var listeners = new List<(SandboxPortalOptions Options, Binding Http, Binding? Https)>();
        Binding? oauthListener = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RestEngine.MaxBodyBytes + 1024;
            foreach (var portal in options.Portals)
            {
                var http = Bind(kestrel, portal.Host, portal.Port, null);
                var https = portal.HttpsPort is { } httpsPort ? Bind(kestrel, portal.Host, httpsPort, listen => listen.UseHttps(certificate!)) : null;
                listeners.Add((portal, http, https));
            }
            // The OAuth server listens on its own origin, as oauth.bitrix.info is not any portal.
            oauthListener = Bind(kestrel, options.OAuthHost ?? options.Portals[0].Host, options.OAuthPort, null);
        });

        var web = builder.Build();
        var host = new SandboxHost(web, core);
        host.Map(web);
        await web.StartAsync(ct).ConfigureAwait(false);

        foreach (var portalOptions in options.Portals)
        {
            var listener = listeners.First(l => ReferenceEquals(l.Options, portalOptions));
            var portState = state.Portals.First(p => p.MemberId == portalOptions.MemberId);
            var portal = new SandboxPortal(core, portalOptions, portState)
            {
                Port = listener.Http.Port,
                HttpsPort = listener.Https?.Port,
            };
            core.AddPortal(portal);
        }
        core.OAuthDomain = $"{oauthListener!.Host}:{oauthListener.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        core.Events.Start(host._stopping.Token);
        lock (core.Gate)
        {
            core.MarkDirty();
            core.SaveIfDirty();
        }
        return host;
    }

    /// <summary>Points the seeded app at the app under test (handler and install URLs), at run time.</summary>
    public void ConfigureApp(string handlerUrl, string installUrl)
    {
        ArgumentException.ThrowIfNullOrEmpty(handlerUrl);
        ArgumentException.ThrowIfNullOrEmpty(installUrl);
        lock (_core.Gate)
        {
            _core.State.HandlerUrl = handlerUrl;
            _core.State.InstallUrl = installUrl;
            _core.MarkDirty();
            _core.SaveIfDirty();
        }
    }

    /// <summary>Waits until the host is asked to stop (Ctrl+C in the standalone program).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _web.WaitForShutdownAsync(ct);

    private void Map(WebApplication web)
    {
        var rest = new RestEngine(_core, web.Services.GetRequiredService<ILogger<RestEngine>>());
        var oauth = new OAuthEndpoints(_core);
        web.Map("/rest/{**path}", (HttpContext http, string? path) => rest.HandleAsync(http, path ?? ""));
        web.MapMethods("/oauth/token/", ["GET", "POST"], oauth.TokenAsync);
        InspectionEndpoints.Map(web, _core);
        PortalPages.Map(web, _core, oauth);
    }

    /// <summary>A Kestrel listener on a loopback host; its port is known once the server started.</summary>
    private sealed class Binding(string host, ListenOptions? listen, int port)
    {
        public string Host => host;
        public int Port => listen?.IPEndPoint?.Port ?? port;
    }

    private static Binding Bind(KestrelServerOptions kestrel, string host, int port, Action<ListenOptions>? configure)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            // Kestrel cannot bind localhost to port 0, so pick a free port first.
            var chosen = port != 0 ? port : FreePort(IPAddress.Loopback);
            kestrel.ListenLocalhost(chosen, listen => configure?.Invoke(listen));
            return new Binding(host, null, chosen);
        }
        ListenOptions? bound = null;
        kestrel.Listen(IPAddress.Parse(host), port, listen =>
        {
            bound = listen;
            configure?.Invoke(listen);
        });
        return new Binding(host, bound, port);
    }

    private static int FreePort(IPAddress address)
    {
        using var socket = new TcpListener(address, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        return port;
    }

    /// <summary>Stops the server and the event queue.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _core.Events.StopAsync().ConfigureAwait(false);
        await _web.StopAsync().ConfigureAwait(false);
        await _web.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _core.Files.Dispose();
        _core.Certificate?.Dispose();
    }
}
