using System.Collections.Concurrent;
using LineBridge.EndToEnd.Infrastructure;
using Microsoft.Playwright;

namespace LineBridge.EndToEnd;

/// <summary>
/// The app inside the portal's frame, through nginx (docs/nginx/linebridge.conf, TLS) in front of two instances on
/// one PostgreSQL database, in a Chromium that blocks third-party cookies: the partitioned instance cookie still
/// brings the frame's page, its scripts and its circuit to one instance.
/// </summary>
public sealed class ProxyJourneyTests(Browser browser)
{
    private const string InstanceCookie = "linebridge_instance";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheFramedApp_ThroughNginxInFrontOfTwoInstances_KeepsItsCircuitOnOneInstance()
    {
        TestNginx.Require();
        await using var database = await TestPostgres.CreateDatabaseAsync(Ct);
        var settings = database.AppSettings(
            ("ForwardedHeaders:KnownProxies:0", "127.0.0.1"));
        await using var a = await SandboxedApp.StartAsync(settings: settings, cancellationToken: Ct);
        await using var b = await a.StartPeerAsync(settings);
        await using var nginx = await TestNginx.StartAsync([a.BaseUri, b.BaseUri], Ct);
        // The portal now opens the app at the proxy's address.
        a.Sandbox.ConfigureApp(handlerUrl: new Uri(nginx.HttpsUri, "placement").AbsoluteUri, installUrl: new Uri(nginx.HttpsUri, "install").AbsoluteUri);

        // Chromium as it is heading: third-party cookies blocked, so only a partitioned cookie lives in the frame.
        if (Browser.ExecutablePath is not { } chromium)
        {
            // The shared fixture skips (or fails under CI=true) with its usual message.
            await browser.NewContextAsync();
            return;
        }
        using var playwright = await Playwright.CreateAsync();
        await using var blocking = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
                "--test-third-party-cookie-phaseout",
            ],
        });
        await using var context = await blocking.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        context.SetDefaultTimeout(Browser.WaitTimeoutMs);
        var page = await context.NewPageAsync();
        var responses = new ConcurrentQueue<IResponse>();
        var sockets = new ConcurrentQueue<string>();
        page.Response += (_, r) => { if (r.Url.StartsWith(nginx.HttpsUri.AbsoluteUri, StringComparison.Ordinal)) responses.Enqueue(r); };
        page.WebSocket += (_, s) => sockets.Enqueue(s.Url);
        var portal = new PortalPage(page, a.Portal);

        await portal.OpenAppAsync();
        await Assertions.Expect(portal.InApp("line-row").First).ToBeVisibleAsync();
        // Live over its circuit: picking a line shows its messages without a reload.
        await portal.InApp("line-select").First.ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("message-list")).ToBeVisibleAsync();

        Assert.Contains(sockets, url => url.StartsWith($"wss://{nginx.HttpsUri.Authority}/_blazor", StringComparison.Ordinal));
        var answeredBy = new List<string>();
        foreach (var response in responses)
        {
            var setCookie = await response.HeaderValueAsync("set-cookie");
            var value = setCookie?.Split('\n').FirstOrDefault(c => c.StartsWith(InstanceCookie + "=", StringComparison.Ordinal));
            if (value is not null) answeredBy.Add(value[(InstanceCookie.Length + 1)..value.IndexOf(';')]);
        }
        // The frame's POST, the page, its scripts, the circuit's negotiation: one instance from first to last.
        Assert.True(answeredBy.Count >= 3, $"Too few answers through nginx: {answeredBy.Count}");
        Assert.Single(answeredBy.Distinct());
        Assert.Contains(answeredBy[0], new[] { a.BaseUri.Authority, b.BaseUri.Authority });

        await context.CloseAsync();
    }
}
