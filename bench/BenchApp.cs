using System.Net;
using System.Net.Sockets;
using LineBridge.Install;
using LineBridge.Messages;
using LineBridge.Sandbox;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LineBridge.Bench;

/// <summary>
/// The real app on a loopback port beside an in-process sandbox portal (default limits: 2 requests/s, burst 50),
/// installed the way a portal installs it, with one line connected and an API key; optionally more portals, each
/// installed with one line connected.
/// </summary>
internal sealed class BenchApp : IAsyncDisposable
{
    private readonly WebApplicationFactory<Bitrix24AppOptions> _factory;
    private readonly List<(WebApplicationFactory<Bitrix24AppOptions> Factory, string Data)> _peers = [];
    private IDictionary<string, string?> _config = new Dictionary<string, string?>();

    private BenchApp(SandboxHost sandbox, WebApplicationFactory<Bitrix24AppOptions> factory, Uri baseUri, string data)
    {
        Sandbox = sandbox;
        _factory = factory;
        BaseUri = baseUri;
        DataDirectory = data;
    }

    public SandboxHost Sandbox { get; }
    public SandboxPortal Portal => Sandbox.Portals[0];
    public Uri BaseUri { get; }
    public string DataDirectory { get; }
    public IServiceProvider Services => _factory.Services;
    public int Line { get; private set; }
    public string ApiKey { get; private set; } = "";

    /// <summary>The connected line of each installed portal, by member id.</summary>
    public Dictionary<string, int> Lines { get; } = [];

    /// <param name="settings">App settings over the bench's defaults.</param>
    /// <param name="portal">Configures the first portal.</param>
    /// <param name="morePortals">Further portals, each installed and with one line connected like the first.</param>
    /// <param name="keepAlive">
    /// Kestrel's idle keep-alive timeout for HTTP connections over the app's own (<c>Ui:IdleConnectionTimeout</c>, 10 s
    /// here: browsers connect directly); the memory benchmark sets it to compare holds.
    /// </param>
    /// <param name="deliver">
    /// False: the outbox dispatcher is stopped once the line is connected (accepted messages stay queued), so a
    /// benchmark measures the accepts alone.
    /// </param>
    public static async Task<BenchApp> StartAsync(IDictionary<string, string?>? settings = null, Action<SandboxPortalOptions>? portal = null,
        IReadOnlyList<SandboxPortalOptions>? morePortals = null, TimeSpan? keepAlive = null, bool deliver = true)
    {
        var portalOptions = new SandboxPortalOptions { Host = "127.0.0.2" };
        portal?.Invoke(portalOptions);
        var sandbox = await SandboxHost.StartAsync(new SandboxOptions
        {
            Portals = [portalOptions, .. morePortals ?? []],
            ConfigureLogging = l => l.SetMinimumLevel(LogLevel.Error),
        });
        var port = FreePort();
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var data = Directory.CreateTempSubdirectory("linebridge-bench-").FullName;
        var config = new Dictionary<string, string?>
        {
            ["Bitrix24:ClientId"] = sandbox.App.ClientId,
            ["Bitrix24:ClientSecret"] = sandbox.App.ClientSecret,
            ["Bitrix24:PublicBaseUrl"] = baseUri.AbsoluteUri.TrimEnd('/'),
            ["Bitrix24:OAuthServer"] = sandbox.OAuthUri.AbsoluteUri,
            ["Storage:DataDirectory"] = data,
            // The benchmarks measure the app, not the per-key API limit (issue 11): lift it.
            ["Api:RateLimit:RequestsPerSecond"] = "1000000",
            ["Api:RateLimit:Burst"] = "1000000",
            ["Logging:LogLevel:Default"] = "Error",
        };
        for (var i = 0; i < sandbox.Portals.Count; i++)
        {
            config[$"Bitrix24:SandboxOrigins:{i}"] = sandbox.Portals[i].BaseUri.GetLeftPart(UriPartial.Authority);
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        if (!deliver)
        {
            // The dispatcher's stop ends its loop with a cancellation the host would take for a crash (and stop).
            config["Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host"] = "Critical";
        }
        var factory = new WebApplicationFactory<Bitrix24AppOptions>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseContentRoot(AppContentRoot());
            foreach (var (key, value) in config) web.UseSetting(key, value);
            if (!deliver) web.ConfigureServices(s => s.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore));
        });
        factory.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            if (keepAlive is { } idle) k.Limits.KeepAliveTimeout = idle;
        });
        factory.StartServer();
        sandbox.ConfigureApp(handlerUrl: new Uri(baseUri, "placement").AbsoluteUri, installUrl: new Uri(baseUri, "install").AbsoluteUri);

        var app = new BenchApp(sandbox, factory, baseUri, data) { _config = config };
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = baseUri };
        // Installed side by side as far as the app lets one caller verify at once (all frames come from this address).
        await Parallel.ForEachAsync(sandbox.Portals, new ParallelOptions { MaxDegreeOfParallelism = VerificationLimiter.PerCallerConcurrency }, async (p, ct) =>
        {
            var line = await app.InstallAsync(http, p, ct);
            lock (app.Lines) app.Lines[p.MemberId] = line;
        });
        app.Line = app.Lines[app.Portal.MemberId];
        app.ApiKey = await app.Services.GetRequiredService<ApiKeys>().RotateAsync(app.Portal.MemberId);
        if (!deliver) await app.Services.GetRequiredService<OutboxDispatcher>().StopAsync(CancellationToken.None);
        return app;
    }

    /// <summary>
    /// Another instance of the app on its own loopback port and data folder, with the same settings (on PostgreSQL: the
    /// same database, so it shares the log, the outbox and the portal's rate budget); returns its address.
    /// </summary>
    public Uri StartPeer()
    {
        var port = FreePort();
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var data = Directory.CreateTempSubdirectory("linebridge-bench-peer-").FullName;
        var config = new Dictionary<string, string?>(_config)
        {
            ["Bitrix24:PublicBaseUrl"] = baseUri.AbsoluteUri.TrimEnd('/'),
            ["Storage:DataDirectory"] = data,
        };
        var factory = new WebApplicationFactory<Bitrix24AppOptions>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseContentRoot(AppContentRoot());
            foreach (var (key, value) in config) web.UseSetting(key, value);
        });
        factory.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        factory.StartServer();
        _peers.Add((factory, data));
        return baseUri;
    }

    /// <summary>Installs the app on a portal through its frame and connects the portal's first line; returns the line.</summary>
    private async Task<int> InstallAsync(HttpClient http, SandboxPortal portal, CancellationToken cancellationToken)
    {
        var frame = portal.BuildFramePost(userId: 1);
        using var install = await http.PostAsync(frame.Url, frame.ToContent(), cancellationToken);
        if (!install.IsSuccessStatusCode) throw new InvalidOperationException($"Install on {portal.Host} failed: {(int)install.StatusCode}");
        portal.FinishInstall(userId: 1);

        var line = portal.OpenLines[0].Id;
        var clients = Services.GetRequiredService<LineBridge.Bitrix24.Bitrix24ClientFactory>();
        await clients.ForPortal(portal.MemberId).Connectors.ActivateAsync("linebridge", line, true, cancellationToken);
        Services.GetRequiredService<LineConnections>().MarkConnected(portal.MemberId, line);
        return line;
    }

    /// <summary>
    /// Connects LineBridge to the first <paramref name="count"/> active open lines of <paramref name="portal"/> (the first
    /// is connected at install), the way a connect from the settings page does: <c>imconnector.activate</c>, then the
    /// line marked connected. The portal needs that many active lines (<see cref="SandboxPortalOptions.OpenLineCount"/>:
    /// its line 3 is inactive). Returns the lines in order.
    /// </summary>
    public async Task<IReadOnlyList<int>> ConnectLinesAsync(SandboxPortal portal, int count)
    {
        var lines = portal.OpenLines.Where(l => l.Active).Select(l => l.Id).Take(count).ToList();
        if (lines.Count < count) throw new InvalidOperationException($"{portal.Host} has {lines.Count} active open lines, not {count}.");
        var connectors = Services.GetRequiredService<LineBridge.Bitrix24.Bitrix24ClientFactory>().ForPortal(portal.MemberId).Connectors;
        var connections = Services.GetRequiredService<LineConnections>();
        foreach (var line in lines.Where(l => connections.GetState(portal.MemberId, l) != LineConnectionState.Connected))
        {
            await connectors.ActivateAsync("linebridge", line, true);
            connections.MarkConnected(portal.MemberId, line);
        }
        return lines;
    }

    /// <summary>The <see cref="SandboxPortalOptions.OpenLineCount"/> that gives a portal <paramref name="active"/> active lines (its line 3 is inactive).</summary>
    public static int OpenLinesFor(int active) => active < 3 ? 3 : active + 1;

    /// <summary>Waits until the portal's request bucket has drained, so a phase starts with a full burst.</summary>
    public async Task WaitForEmptyBucketAsync()
    {
        while (Portal.BucketLevel > 0.5) await Task.Delay(250);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (peer, data) in _peers)
        {
            await peer.DisposeAsync();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
        await _factory.DisposeAsync();
        await Sandbox.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    // The app's content root (src/App) above the bench's output folder; the factory would guess by assembly name.
    private static string AppContentRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "App");
            if (File.Exists(Path.Combine(candidate, "App.csproj"))) return candidate;
        }
        return Directory.GetCurrentDirectory();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
