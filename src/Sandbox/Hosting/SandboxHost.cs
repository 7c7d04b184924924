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

        var listeners = new List<(SandboxPortalOptions Options, ListenOptions? Listen, int Port)>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RestEngine.MaxBodyBytes + 1024;
            foreach (var portal in options.Portals)
            {
                if (string.Equals(portal.Host, "localhost", StringComparison.OrdinalIgnoreCase))
                {
                    // Kestrel cannot bind localhost to port 0, so pick a free port first.
                    var port = portal.Port != 0 ? portal.Port : FreePort(IPAddress.Loopback);
                    kestrel.ListenLocalhost(port);
                    listeners.Add((portal, null, port));
                }
                else
                {
                    var address = IPAddress.Parse(portal.Host);
                    kestrel.Listen(address, portal.Port, listen => listeners.Add((portal, listen, portal.Port)));
                }
            }
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
                Port = listener.Listen?.IPEndPoint?.Port ?? listener.Port,
            };
            core.AddPortal(portal);
        }
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
    }
}
