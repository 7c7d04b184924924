using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LineBridge.Sandbox;

namespace LineBridge.Soak;

/// <summary>Setting up a soak's sandbox portals from outside the app, as a person and the portal would.</summary>
internal static class SoakPortals
{
    /// <summary>The connector the soaks deliver through.</summary>
    public const string Connector = "linebridge";

    /// <summary>
    /// Installs the app on <paramref name="portal"/> through its frame POST (user 1, an administrator), then connects
    /// the connector to the first <paramref name="lines"/> active open lines at the portal (<c>imconnector.activate</c>,
    /// as the open-lines service does when an administrator connects a line). Returns those lines' ids.
    /// </summary>
    public static async Task<IReadOnlyList<int>> InstallAndConnectAsync(HttpClient browser, SandboxPortal portal, int lines, CancellationToken cancellationToken)
    {
        var frame = portal.BuildFramePost(userId: 1);
        using var installed = await browser.PostAsync(frame.Url, frame.ToContent(), cancellationToken);
        Assert.True(installed.IsSuccessStatusCode,
            $"install on {portal.Host}: {(int)installed.StatusCode} {await installed.Content.ReadAsStringAsync(cancellationToken)}");
        portal.FinishInstall(userId: 1);
        var token = (string?)(await browser.GetFromJsonAsync<JsonObject>(new Uri(portal.BaseUri, "_sandbox/token?user=1"), cancellationToken))!["access_token"];
        var connected = new List<int>();
        foreach (var line in portal.OpenLines.Where(l => l.Active).Take(lines))
        {
            using var activate = new HttpRequestMessage(HttpMethod.Post, new Uri(portal.BaseUri, "rest/imconnector.activate"))
            {
                Content = JsonContent.Create(new { CONNECTOR = Connector, LINE = line.Id, ACTIVE = 1 }),
            };
            activate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var activated = await browser.SendAsync(activate, cancellationToken);
            Assert.True(activated.IsSuccessStatusCode,
                $"activate line {line.Id} on {portal.Host}: {await activated.Content.ReadAsStringAsync(cancellationToken)}");
            connected.Add(line.Id);
        }
        return connected;
    }
}
