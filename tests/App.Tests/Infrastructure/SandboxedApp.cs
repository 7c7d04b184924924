using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using LineBridge.Bitrix24;
using AppEntryPoint = LineBridge.Install.Bitrix24AppOptions;
using LineBridge.Sandbox;
using LineBridge.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LineBridge.Infrastructure;

/// <summary>
/// The real app (Kestrel on 127.0.0.1, a temp data folder) beside the real sandbox portal (127.0.0.2, and 127.0.0.3
/// with <c>portals: 2</c>), talking over loopback HTTP. <see cref="StartAsync"/> installs the app on the first portal
/// the way the portal does: the install frame's form POST, then <c>BX24.installFinish()</c>.
/// Reusable by every integration test: <c>await using var app = await SandboxedApp.StartAsync();</c>
/// </summary>
// WebApplicationFactory only needs a type from the app's assembly. Both the app and the sandbox are web projects
// whose generated Program classes are public, so "Program" is ambiguous here; any public app type will do.
public sealed partial class SandboxedApp : IAsyncDisposable
{
    private WebApplicationFactory<AppEntryPoint> _factory;

    private SandboxedApp(SandboxHost sandbox, WebApplicationFactory<AppEntryPoint> factory, Uri baseUri, string dataDirectory, OAuthCounter oauth)
    {
        Sandbox = sandbox;
        _factory = factory;
        BaseUri = baseUri;
        DataDirectory = dataDirectory;
        OAuth = oauth;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(100) };
    }

    public SandboxHost Sandbox { get; }
    public SandboxPortal Portal => Sandbox.Portals[0];
    /// <summary>The app's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUri { get; }
    public string DataDirectory { get; }
    /// <summary>A browser-like client: no redirects followed, no cookies.</summary>
    public HttpClient Http { get; }
    /// <summary>Every refresh request the app sent to the token server.</summary>
    public OAuthCounter OAuth { get; }
    public IServiceProvider Services => _factory.Services;
    public PortalStore Store => Services.GetRequiredService<PortalStore>();
    public Bitrix24ClientFactory Clients => Services.GetRequiredService<Bitrix24ClientFactory>();

    /// <param name="install">Install the app on <see cref="Portal"/> before returning.</param>
    /// <param name="portals">How many sandbox portals (127.0.0.2, 127.0.0.3, ...).</param>
    /// <param name="configureSandbox">Change sandbox options (limits, token lifetime, faults).</param>
    /// <param name="settings">Extra app configuration, e.g. <c>["Bitrix24:ClientId"] = "other"</c>.</param>
    /// <param name="configureServices">Extra app services, e.g. a recording <c>IPortalEventHandler</c>.</param>
    public static async Task<SandboxedApp> StartAsync(
        bool install = true, int portals = 1, Action<SandboxOptions>? configureSandbox = null,
        IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null,
        CancellationToken cancellationToken = default)
    {
        var options = new SandboxOptions
        {
            Portals = [.. Enumerable.Range(0, portals).Select(i => new SandboxPortalOptions { Host = $"127.0.0.{i + 2}" })],
            ConfigureLogging = l => l.SetMinimumLevel(LogLevel.Error),
        };
        configureSandbox?.Invoke(options);
        var sandbox = await SandboxHost.StartAsync(options, cancellationToken);

        var port = FreePort();
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var dataDirectory = Directory.CreateTempSubdirectory("linebridge-it-").FullName;
        var config = new Dictionary<string, string?>
        {
            ["Bitrix24:ClientId"] = sandbox.App.ClientId,
            ["Bitrix24:ClientSecret"] = sandbox.App.ClientSecret,
            ["Bitrix24:PublicBaseUrl"] = baseUri.AbsoluteUri.TrimEnd('/'),
            ["Bitrix24:OAuthServer"] = sandbox.OAuthUri.AbsoluteUri,
            ["Storage:DataDirectory"] = dataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
            // Tests' webhook receivers listen on loopback; production allows public destinations only.
            ["Outbound:Allow:0"] = "Loopback",
        };
        for (var i = 0; i < sandbox.Portals.Count; i++)
        {
            config[$"Bitrix24:SandboxOrigins:{i}"] = sandbox.Portals[i].BaseUri.GetLeftPart(UriPartial.Authority);
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;

        var oauth = new OAuthCounter();
        var recentLog = new RecentLog();
        var factory = new WebApplicationFactory<AppEntryPoint>().WithWebHostBuilder(web =>
        {
            // The app's own Information lines reach the recent log even though the console gets only warnings.
            web.ConfigureLogging(logging => logging.AddProvider(recentLog).AddFilter<RecentLog>(level => true));
            web.UseEnvironment("Development");
            // UseSetting reaches the app's builder before Program.cs reads it (AddStorage reads the data folder eagerly);
            // ConfigureAppConfiguration would only apply at Build().
            foreach (var (key, value) in config) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                services.AddHttpClient(Bitrix24OAuthClient.HttpClientName).AddHttpMessageHandler(() => new OAuthCounterHandler(oauth));
                configureServices?.Invoke(services);
            });
        });
        factory.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        try
        {
            factory.StartServer();
        }
        catch
        {
            await factory.DisposeAsync();
            await sandbox.DisposeAsync();
            Directory.Delete(dataDirectory, recursive: true);
            throw;
        }

        sandbox.ConfigureApp(handlerUrl: new Uri(baseUri, "placement").AbsoluteUri, installUrl: new Uri(baseUri, "install").AbsoluteUri);
        var app = new SandboxedApp(sandbox, factory, baseUri, dataDirectory, oauth) { Log = recentLog };
        foreach (var portal in sandbox.Portals) s_byPortal.AddOrUpdate(portal, app);
        try
        {
            if (install) await app.InstallAsync(app.Portal, cancellationToken);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Installs the app on a portal as an admin would: the install frame POST, then installFinish.</summary>
    public async Task<HttpResponseMessage> InstallAsync(SandboxPortal portal, CancellationToken cancellationToken = default)
    {
        var response = await PostFrameAsync(portal.BuildFramePost(userId: 1), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Install failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        portal.FinishInstall(userId: 1);
        return response;
    }

    /// <summary>POSTs a frame (install page, app page, connector settings) as the portal page's form would.</summary>
    public Task<HttpResponseMessage> PostFrameAsync(FramePost frame, CancellationToken cancellationToken = default) =>
        Http.PostAsync(frame.Url, frame.ToContent(), cancellationToken);

    /// <summary>POSTs a frame to a path of the app, with fields changed or removed (null).</summary>
    public Task<HttpResponseMessage> PostFrameAsync(
        string path, FramePost frame, IDictionary<string, string?> changes, CancellationToken cancellationToken = default)
    {
        var query = frame.Query.ToDictionary(p => p.Key, p => (string?)p.Value);
        var form = frame.Form.ToDictionary(p => p.Key, p => (string?)p.Value);
        foreach (var (key, value) in changes)
        {
            var target = query.ContainsKey(key) ? query : form;
            if (value is null) target.Remove(key); else target[key] = value;
        }
        var url = new Uri(BaseUri, path + "?" + string.Join('&', query.Where(p => p.Value is not null)
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value!)}")));
        return Http.PostAsync(url, new FormUrlEncodedContent(form.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>(p.Key, p.Value!))), cancellationToken);
    }

    /// <summary>Waits for a condition that another party (the sandbox's event queue) makes true.</summary>
    /// <param name="condition">Checked at once and then every 50 ms.</param>
    /// <param name="what">What is awaited, for the failure: "Timed out waiting until {what}."</param>
    /// <param name="timeout">The upper bound; 90 s unless given.</param>
    /// <param name="seen">What was seen last, added to the failure (e.g. the status a message stayed in).</param>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? seen = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout, seen);

    /// <summary>
    /// Waits for a condition checked by an asynchronous probe (a call over HTTP, as a caller would check), the same way
    /// as <see cref="WaitUntilAsync(Func{bool}, string, TimeSpan?, Func{string}?)"/>.
    /// </summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? seen = null)
    {
        // Generous: an upper bound only, met at once when the condition holds; a busy machine must not fail a test.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}." + (seen is null ? "" : " Last seen: " + seen()));
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Every file of the data folder except the key ring, as bytes (read while LiteDB holds them open).</summary>
    public IEnumerable<(string Path, byte[] Bytes)> DataFiles() =>
        Directory.EnumerateFiles(DataDirectory, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(Path.Combine(DataDirectory, "keys"), StringComparison.Ordinal))
            .Select(p =>
            {
                using var stream = new FileStream(p, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return (p, copy.ToArray());
            }).ToList();

    /// <summary>
    /// Stops the app and starts it again on the same address and data folder while the sandbox keeps running, as a
    /// process restart would. Pass the same <paramref name="settings"/> as to <see cref="StartAsync"/>.
    /// </summary>
    public async Task RestartAsync(IDictionary<string, string?>? settings = null)
    {
        await _factory.DisposeAsync();
        var config = new Dictionary<string, string?>
        {
            ["Bitrix24:ClientId"] = Sandbox.App.ClientId,
            ["Bitrix24:ClientSecret"] = Sandbox.App.ClientSecret,
            ["Bitrix24:PublicBaseUrl"] = BaseUri.AbsoluteUri.TrimEnd('/'),
            ["Bitrix24:OAuthServer"] = Sandbox.OAuthUri.AbsoluteUri,
            ["Storage:DataDirectory"] = DataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
            // Tests' webhook receivers listen on loopback; production allows public destinations only.
            ["Outbound:Allow:0"] = "Loopback",
        };
        for (var i = 0; i < Sandbox.Portals.Count; i++)
        {
            config[$"Bitrix24:SandboxOrigins:{i}"] = Sandbox.Portals[i].BaseUri.GetLeftPart(UriPartial.Authority);
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        var oauth = OAuth;
        _factory = new WebApplicationFactory<AppEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            foreach (var (key, value) in config) web.UseSetting(key, value);
            web.ConfigureServices(services =>
                services.AddHttpClient(Bitrix24OAuthClient.HttpClientName).AddHttpMessageHandler(() => new OAuthCounterHandler(oauth)));
        });
        _factory.UseKestrel(k => k.Listen(IPAddress.Loopback, BaseUri.Port));
        _factory.StartServer();
    }

    /// <summary>The app's last log lines, for a failing test to print (see <see cref="RecentLog"/>).</summary>
    public RecentLog? Log { get; private init; }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SandboxPortal, SandboxedApp> s_byPortal = [];

    /// <summary>The app started against <paramref name="portal"/>'s sandbox, if any (for failure messages).</summary>
    public static SandboxedApp? ForPortal(SandboxPortal portal) => s_byPortal.TryGetValue(portal, out var app) ? app : null;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
        await Sandbox.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>What the app sent to the token server.</summary>
public sealed class OAuthCounter
{
    public ConcurrentQueue<string> RefreshTokensSent { get; } = new();
    public int Count => RefreshTokensSent.Count;
}

internal sealed class OAuthCounterHandler(OAuthCounter counter) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri!.Query);
        counter.RefreshTokensSent.Enqueue(query["refresh_token"] ?? "");
        return base.SendAsync(request, cancellationToken);
    }
}
