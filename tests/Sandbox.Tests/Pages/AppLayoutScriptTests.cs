using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Xunit;

namespace LineBridge.Sandbox.Pages;

/// <summary>
/// The parent side of the BX24 postMessage protocol (Pages/Assets/applayout.js) in a real Chromium, with a fake app
/// framed cross-site on 127.0.0.1 that speaks the child side the way the BX24 library does.
/// </summary>
public class AppLayoutScriptTests
{
    private const string ChildPage = """
        <!doctype html><meta charset="utf-8"><title>fake app</title>
        <p id="mode">{{MODE}}</p><p id="init"></p><p id="size"></p><p id="refreshed"></p>
        <script>
          var parts = window.name.split('|'), portal = 'http://' + parts[0], sid = parts[2], callbacks = {}, n = 0;
          function call(cmd, args, cb, forgedSid) {
            var id = cb ? 'cb' + (++n) : '';
            if (cb) callbacks[id] = cb;
            parent.postMessage(cmd + ':' + (args ? JSON.stringify(args) : '') + ':' + id + ':' + (forgedSid || sid), portal);
          }
          window.addEventListener('message', function (e) {
            if (e.origin !== portal) return;
            var i = e.data.indexOf(':'), cb = callbacks[e.data.slice(0, i)];
            if (cb) cb(JSON.parse(e.data.slice(i + 1)));
          });
          var text = function (id, value) { document.getElementById(id).textContent = value; };
          call('getInitData', null, function (d) {
            text('init', d.MEMBER_ID + '|' + d.PLACEMENT + '|' + d.INSTALL + '|' + d.LANG);
            call('setTitle', { title: 'Fake app: with colons' }, function () {
              // A message with a wrong APP_SID must be ignored by the portal.
              call('setTitle', { title: 'forged' }, null, 'not-the-sid');
              call('resizeWindow', { width: '100%', height: 345 }, function (s) {
                text('size', s.height);
                if ('{{MODE}}' === 'install') call('setInstallFinish', {}, null);
                else call('refreshAuth', null, function (a) { text('refreshed', a.AUTH_ID); });
              });
            });
          });
        </script>
        """;

    [Fact]
    public async Task AppFrame_SpeaksTheBx24Protocol_FromInstallToHandler()
    {
        var posts = new ConcurrentQueue<(string Path, Dictionary<string, string> Query, Dictionary<string, string> Form)>();
        await using var app = await StartFakeAppAsync(posts);
        var appBase = app.Urls.First();
        await using var sandbox = await SandboxTestHost.StartAsync(o =>
        {
            o.HandlerUrl = appBase + "/placement";
            o.InstallUrl = appBase + "/install";
        });
        await using var browser = await LaunchAsync();
        var context = await browser.Browser.NewContextAsync();
        try
        {
            var page = await context.NewPageAsync();
            var console = new ConcurrentQueue<string>();
            page.Console += (_, message) => console.Enqueue(message.Text);
            page.PageError += (_, error) => console.Enqueue(error);
            await page.GotoAsync(new Uri(sandbox.Portal.BaseUri, "/marketplace/app/local/?lang=de").ToString());

            // The install frame finishes the install; the portal reloads itself with install_finished=Y and frames the handler.
            try
            {
                await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("install_finished=Y"), new() { Timeout = 90_000 });
            }
            catch (PlaywrightException)
            {
                var log = await page.Locator("#bx24-log").TextContentAsync();
                Assert.Fail($"No reload after setInstallFinish. Posts: {string.Join(",", posts.Select(p => p.Path))}; BX24 log: {log}; console: {string.Join(" | ", console)}");
            }
            var frame = page.FrameLocator("#app-frame");
            await Assertions.Expect(frame.Locator("#mode")).ToHaveTextAsync("handler", new() { Timeout = 60_000 });
            await Assertions.Expect(frame.Locator("#init")).ToHaveTextAsync($"{sandbox.Portal.MemberId}|DEFAULT|false|de", new() { Timeout = 60_000 });
            await Assertions.Expect(frame.Locator("#refreshed")).Not.ToBeEmptyAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#app-title")).ToHaveTextAsync("Fake app: with colons");
            await Assertions.Expect(page.Locator("#app-frame")).ToHaveAttributeAsync("data-height", "345");

            Assert.True(sandbox.Portal.AppInstalled);
            Assert.Equal(["/install", "/placement"], posts.Select(p => p.Path));
            var install = posts.First();
            Assert.Equal((sandbox.Portal.Domain, "0", "de"), (install.Query["DOMAIN"], install.Query["PROTOCOL"], install.Query["LANG"]));
            Assert.Equal(sandbox.Portal.ApplicationToken, install.Form["APPLICATION_TOKEN"]);
            var refreshed = await frame.Locator("#refreshed").TextContentAsync();
            Assert.Equal(HttpStatusCode.OK, (await sandbox.CallAsync("user.current", token: refreshed)).Status);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    // A child that speaks as the vendor SDK does (frame/message/controller.mjs): commands without arguments as three
    // segments, an object for a command name holding ':', and one command the portal does not know.
    private const string ProbePage = """
        <!doctype html><meta charset="utf-8"><title>probe</title><pre id="replies"></pre>
        <script>
          var parts = window.name.split('|'), portal = 'http://' + parts[0], sid = parts[2], replies = {};
          window.addEventListener('message', function (e) {
            if (e.origin !== portal) return;
            var i = e.data.indexOf(':');
            replies[e.data.slice(0, i)] = e.data.slice(i + 1);
            document.getElementById('replies').textContent = JSON.stringify(replies);
          });
          parent.postMessage('getInitData:c1:' + sid, portal);
          parent.postMessage({ method: 'setTitle', params: { title: 'from an object' }, callback: 'c2', appSid: sid }, portal);
          parent.postMessage('getInterface:c3:' + sid, portal);
          parent.postMessage('noSuchCommand:c4:' + sid, portal);
          parent.postMessage({ method: 'placement:noSuchEvent', params: '', callback: 'c5', appSid: sid }, portal);
          parent.postMessage('setScroll:{"scroll":0}:c6:' + sid, portal);
        </script>
        """;

    // Item 1 and 2 of issue 10. Source: bitrix-core-business modules/rest/install/js/rest/applayout.js (receiveMessage:
    // split() takes the first segment as the command and the last two as callback and APP_SID; object messages carry
    // method/params/callback/appSid; a command not in the interface is ignored; getInterface answers {command, event}).
    [Fact]
    public async Task ParentSide_AnswersThreeSegmentAndObjectMessages_AndIgnoresUnknownCommands()
    {
        var posts = new ConcurrentQueue<(string Path, Dictionary<string, string> Query, Dictionary<string, string> Form)>();
        await using var app = await StartFakeAppAsync(posts);
        await using var sandbox = await SandboxTestHost.StartAsync(o =>
        {
            o.HandlerUrl = app.Urls.First() + "/probe";
            o.InstallUrl = app.Urls.First() + "/probe";
        });
        await using var browser = await LaunchAsync();
        var context = await browser.Browser.NewContextAsync();
        try
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(sandbox.Portal.BaseUri, "/marketplace/app/local/").ToString());
            var replies = page.FrameLocator("#app-frame").Locator("#replies");
            // c6 is answered after c4 and c5 were handled (one window, one message queue), so their silence is final.
            await Assertions.Expect(replies).ToContainTextAsync("\"c6\"", new() { Timeout = 60_000 });
            var answered = JsonNode.Parse((await replies.TextContentAsync())!)!.AsObject();

            Assert.Equal(sandbox.Portal.MemberId, JsonNode.Parse(answered["c1"]!.GetValue<string>())!["MEMBER_ID"]!.GetValue<string>());
            Assert.Equal("from an object", JsonNode.Parse(answered["c2"]!.GetValue<string>())!["title"]!.GetValue<string>());
            Assert.Equal("""{"command":[],"event":[]}""", answered["c3"]!.GetValue<string>());
            Assert.False(answered.ContainsKey("c4"));
            Assert.False(answered.ContainsKey("c5"));
            await Assertions.Expect(page.Locator("#app-title")).ToHaveTextAsync("from an object");
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    // LineBridge's own child script (src/App.Components/wwwroot/bx24.js) must be read correctly by the real parser:
    // every message it posts, split as applayout.js splits it, gives back the command, arguments, callback and APP_SID
    // it meant, whether it has three segments or four.
    [Fact]
    public async Task LineBridgeFrameScript_PostsMessagesTheRealParserReadsAsMeant()
    {
        var script = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "src", "App.Components", "wwwroot", "bx24.js"), TestContext.Current.CancellationToken);
        await using var browser = await LaunchAsync();
        var context = await browser.Browser.NewContextAsync();
        try
        {
            var page = await context.NewPageAsync();
            var sent = await page.EvaluateAsync<string[]>("""
                (script) => {
                  const sent = [];
                  const fake = { name: '127.0.0.2:5090|0|sid42', parent: { postMessage: (m) => sent.push(m) }, addEventListener: () => {}, document, console };
                  new Function('window', script)(fake);
                  const BX24 = fake.BX24;
                  BX24.init(() => {});
                  BX24.resizeWindow(640, 480, () => {});
                  BX24.fitWindow();
                  BX24.refreshAuth(() => {});
                  BX24.installFinish();
                  return sent;
                }
                """, script);

            var parsed = sent.Select(RealSplit).ToList();
            Assert.Equal(["getInitData", "resizeWindow", "resizeWindow", "refreshAuth", "setInstallFinish"], parsed.Select(p => p.Command));
            Assert.All(parsed, p => Assert.Equal("sid42", p.AppSid));
            Assert.All(parsed, p => Assert.True(p.Json.Length == 0 || JsonNode.Parse(p.Json) is JsonObject, p.Json));
            Assert.Equal("""{"width":640,"height":480}""", parsed[1].Json);
            Assert.Matches("^lb[0-9]+$", parsed[0].Callback);
            Assert.Matches("^lb[0-9]+$", parsed[3].Callback);
            Assert.Equal("", parsed[4].Callback);
            Assert.All(sent, m => Assert.True(m.Split(':').Length >= 3, m));
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    /// <summary>applayout.js's split(s, ':'): [first, middle joined by ':', second to last, last].</summary>
    private static (string Command, string Json, string Callback, string AppSid) RealSplit(string message)
    {
        var r = message.Split(':');
        return (r[0], string.Join(':', r[1..^2]), r[^2], r[^1]);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "App.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("App.sln not found above the test's folder.");
    }

    private sealed class BrowserSession(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
    {
        public IBrowser Browser => browser;

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    /// <summary>Debian's Chromium (or CHROMIUM_PATH); without it the test is skipped, except under CI=true where it fails.</summary>
    private static async Task<BrowserSession> LaunchAsync()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured
            ? configured
            : new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        if (path is null)
        {
            const string message = "Chromium was not found (set CHROMIUM_PATH or install the 'chromium' package).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) Assert.Fail(message);
            Assert.Skip(message + " Browser test skipped.");
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        return new BrowserSession(playwright, browser);
    }

    private static async Task<WebApplication> StartFakeAppAsync(ConcurrentQueue<(string, Dictionary<string, string>, Dictionary<string, string>)> posts)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/probe", () => Results.Content(ProbePage, "text/html; charset=utf-8"));
        foreach (var (path, mode) in new[] { ("/install", "install"), ("/placement", "handler") })
        {
            app.MapPost(path, async (HttpContext http) =>
            {
                var form = await http.Request.ReadFormAsync();
                posts.Enqueue((path, http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()), form.ToDictionary(f => f.Key, f => f.Value.ToString())));
                return Results.Content(ChildPage.Replace("{{MODE}}", mode), "text/html; charset=utf-8");
            });
        }
        await app.StartAsync();
        return app;
    }
}
