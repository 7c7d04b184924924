using System.Collections.Concurrent;
using System.Net;
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
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        var context = await browser.NewContextAsync();
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

    private static async Task<WebApplication> StartFakeAppAsync(ConcurrentQueue<(string, Dictionary<string, string>, Dictionary<string, string>)> posts)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
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
