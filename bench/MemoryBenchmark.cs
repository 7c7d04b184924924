using System.Diagnostics;
using LineBridge.Components.Messages;
using LineBridge.Bitrix24.Models;
using LineBridge.Messages;
using LineBridge.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace LineBridge.Bench;

/// <summary>
/// <c>memory</c>: the app's memory at idle (installed, a line with messages, nobody connected), then the cost of each
/// connected UI session: N headless Chromium pages on the lines page with the line selected and its first page of
/// messages rendered, each a live Blazor circuit. Figures are taken after a full, compacting GC.
/// </summary>
internal static class MemoryBenchmark
{
    private static readonly string[] ChromiumPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    /// <param name="holdSeconds">
    /// Keeps the sessions open this long after measuring, so a heap snapshot can show what a circuit holds
    /// (<c>dotnet-gcdump collect -p PID</c>, then <c>dotnet-gcdump report</c>).
    /// </param>
    /// <param name="page">
    /// <c>messages</c> (the default): the Messages view of a line; <c>home</c>: the app's home page, the floor any
    /// circuit of this app pays (Blazor, SignalR, the layout with MudBlazor's providers).
    /// </param>
    /// <param name="keepAliveSeconds">
    /// 0 (the default): the app's own hold on idle HTTP connections (<c>Ui:IdleConnectionTimeout</c>: 10 s with
    /// browsers connecting directly, as here). N &gt; 0: Kestrel's keep-alive set to N s over the app's. Either way, when
    /// the hold is at most a minute the figures are taken once it has passed after the last session opened (the pages
    /// at rest: each session's circuit and the WebSocket it runs on); a longer hold (Kestrel's own 130 s, as before
    /// issue 15) is measured 3 s after, so the browser's idle HTTP/1.1 connections (Chromium opens up to six for a
    /// page's scripts and styles) count too.
    /// </param>
    public static async Task<int> RunAsync(int sessions, int messageCount, int holdSeconds = 0, string page = "messages", int keepAliveSeconds = 0)
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured
            ? configured
            : ChromiumPaths.FirstOrDefault(File.Exists);
        if (chromium is null)
        {
            Console.Error.WriteLine("Chromium not found: install the 'chromium' package or set CHROMIUM_PATH.");
            return 2;
        }

        var bare = Measure();
        await using var app = await BenchApp.StartAsync(keepAlive: keepAliveSeconds > 0 ? TimeSpan.FromSeconds(keepAliveSeconds) : null);
        // What the app (or --keep-alive) left Kestrel's keep-alive at: a short hold is waited out before measuring.
        var idleHold = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.KeepAliveTimeout;
        var settle = idleHold <= TimeSpan.FromMinutes(1) ? idleHold : TimeSpan.Zero;
        var member = app.Portal.MemberId;
        var service = app.Services.GetRequiredService<MessageService>();
        var store = app.Services.GetRequiredService<MessageStore>();
        var added = service.Send(member, app.Line, Enumerable.Range(0, messageCount).Select(i => new ConnectorMessage(
            new ConnectorUser { Id = "memory-user-" + (i % 10), Name = "Customer " + (i % 10) },
            new ConnectorMessageBody { Id = "memory-" + i, Text = $"Message {i}: a question about order {1000 + i}, with a few more words." },
            new ConnectorChat { Id = "memory-chat-" + (i % 10) })).ToList(), ChangeAuthor.Api);
        while (added.Any(a => store.Get(member, a.Record.Id)!.Status != MessageStatus.Sent)) await Task.Delay(200);

        // Let start-up work (JIT, first queries, token refresh timers) settle before calling it idle.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idle = Measure();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
            ],
        });
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseUri };

        // One session first and away again, so what follows counts sessions rather than the first render's JIT.
        Func<Task<IBrowserContext>> open = page == "home" ? () => OpenHomeAsync(browser, app) : () => OpenSessionAsync(browser, http, app);
        await open().ContinueWith(async t => await (await t).CloseAsync()).Unwrap();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = Measure();

        // What the benchmark itself holds per browser context (Playwright's client objects live in this process too):
        // the same number of contexts on a blank page, measured and closed again, is subtracted below.
        var blanks = new List<IBrowserContext>();
        await Task.Delay(settle);
        for (var i = 0; i < sessions; i++)
        {
            var blank = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            await (await blank.NewPageAsync()).GotoAsync("about:blank");
            blanks.Add(blank);
        }
        var withBlanks = Measure();
        foreach (var blank in blanks) await blank.CloseAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        before = Measure();
        var client = (withBlanks.Managed - before.Managed) / sessions;

        var pages = new List<IBrowserContext>();
        for (var i = 0; i < sessions; i++) pages.Add(await open());
        await Task.Delay(TimeSpan.FromSeconds(3) + settle);
        var after = Measure();
        if (holdSeconds > 0)
        {
            Console.WriteLine($"holding {sessions} sessions open for {holdSeconds} s: process {Environment.ProcessId}");
            await Task.Delay(TimeSpan.FromSeconds(holdSeconds));
        }
        foreach (var context in pages) await context.CloseAsync();

        Console.WriteLine(page == "home"
            ? $"memory: {sessions} sessions on the home page (/): the floor of a circuit of this app"
            : $"memory: {messageCount} messages on line {app.Line}; {sessions} sessions on /lines with the line selected (first page of messages shown)");
        Console.WriteLine("  figures after a full compacting GC; the process also hosts the sandbox portal and the bench");
        Console.WriteLine(settle > TimeSpan.Zero
            ? $"  idle HTTP connections closed after {idleHold.TotalSeconds:F0} s{(keepAliveSeconds > 0 ? " (--keep-alive)" : " (the app's Ui:IdleConnectionTimeout)")} and gone before measuring: each session is its circuit and its WebSocket"
            : $"  Kestrel's keep-alive {idleHold.TotalSeconds:F0} s: the browsers' idle HTTP connections (scripts, styles) count with their sessions");
        Console.WriteLine($"  process before the app started:  managed heap {Mb(bare.Managed)}, working set {Mb(bare.WorkingSet)}");
        Console.WriteLine($"  app idle (sandbox included):      managed heap {Mb(idle.Managed)}, working set {Mb(idle.WorkingSet)}");
        Console.WriteLine($"  app idle, minus the bare process: managed heap {Mb(idle.Managed - bare.Managed)}, working set {Mb(idle.WorkingSet - bare.WorkingSet)}");
        Console.WriteLine($"  before sessions:                  managed heap {Mb(before.Managed)}, working set {Mb(before.WorkingSet)}");
        Console.WriteLine($"  with {sessions} sessions:                managed heap {Mb(after.Managed)}, working set {Mb(after.WorkingSet)}");
        Console.WriteLine($"  per session:                      managed heap {Kb((after.Managed - before.Managed) / sessions)}, working set {Kb((after.WorkingSet - before.WorkingSet) / sessions)}");
        Console.WriteLine($"  the benchmark's own Playwright objects per browser context (blank page): managed heap {Kb(client)}");
        Console.WriteLine($"  per session, the app's circuit alone (per session minus that): managed heap {Kb((after.Managed - before.Managed) / sessions - client)}");
        return 0;
    }

    /// <summary>
    /// As a portal user would arrive: the portal POSTs the app frame to /placement, which answers 303 to
    /// /lines?ticket=; the browser then opens that with the line selected and waits for the messages to render.
    /// </summary>
    private static async Task<IBrowserContext> OpenSessionAsync(IBrowser browser, HttpClient http, BenchApp app)
    {
        var frame = app.Portal.BuildFramePost(userId: 1);
        using var placed = await http.PostAsync(frame.Url, frame.ToContent());
        var location = placed.Headers.Location
            ?? throw new InvalidOperationException($"/placement answered {(int)placed.StatusCode} without a Location.");
        var target = new Uri(new Uri(app.BaseUri, location), $"?{new Uri(app.BaseUri, location).Query.TrimStart('?')}&line={app.Line}");
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(target.AbsoluteUri);
        await page.Locator("[data-testid=message-row]").First.WaitForAsync();
        return context;
    }

    /// <summary>The home page, interactive like every page: a circuit with the layout and a few MudBlazor components.</summary>
    private static async Task<IBrowserContext> OpenHomeAsync(IBrowser browser, BenchApp app)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(60_000);
        var tab = await context.NewPageAsync();
        await tab.GotoAsync(app.BaseUri.AbsoluteUri);
        // Interactive once Blazor has started its circuit.
        await tab.WaitForFunctionAsync("() => window.Blazor && document.querySelector('h1')");
        await Task.Delay(TimeSpan.FromSeconds(1));
        return context;
    }

    private static (long Managed, long WorkingSet) Measure()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return (GC.GetTotalMemory(forceFullCollection: false), self.WorkingSet64);
    }

    private static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:F1} MB";

    private static string Kb(long bytes) => $"{bytes / 1024.0:F0} KB";
}
