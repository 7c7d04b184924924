using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox;

public class SandboxHostTests
{
    [Fact]
    public async Task StartAsync_ServesEachPortalOnItsOwnOrigin_WithItsOwnMemberId()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(portals: 2);
        var (first, second) = (sandbox.Host.Portals[0], sandbox.Host.Portals[1]);

        Assert.StartsWith("127.0.0.2:", first.Domain);
        Assert.StartsWith("127.0.0.3:", second.Domain);
        Assert.NotEqual(first.MemberId, second.MemberId);
        Assert.Matches("^[0-9a-f]{32}$", first.MemberId);
        foreach (var portal in sandbox.Host.Portals)
        {
            var (status, body) = await sandbox.CallAsync("app.info", token: sandbox.Token(portal: portal), portal: portal);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(sandbox.Host.App.ClientId, body["result"]!["CODE"]!.GetValue<string>());
        }
        // A token of one portal is no credential on another.
        var (foreign, error) = await sandbox.CallAsync("app.info", token: sandbox.Token(portal: first), portal: second);
        Assert.Equal(HttpStatusCode.Unauthorized, foreign);
        Assert.Equal("NO_AUTH_FOUND", error["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task StartAsync_SeedsUsersLinesAndTheLocalApp()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var portal = sandbox.Portal;

        Assert.Matches(@"^local\.[0-9a-f]{14}\.[0-9]{8}$", sandbox.Host.App.ClientId);
        Assert.True(sandbox.Host.App.ClientSecret.Length >= 32);
        Assert.Equal("imopenlines,placement,im,imconnector", sandbox.Host.App.Scopes);
        Assert.Equal([true, false, false], portal.Users.Select(u => u.Admin));
        Assert.True(portal.OpenLines.Count >= 3);
        Assert.Contains(portal.OpenLines, l => !l.Active);
        Assert.True(portal.AppAdded);
        Assert.False(portal.AppInstalled);
        Assert.Matches("^[0-9a-f]{32}$", portal.ApplicationToken!);
    }

    [Fact]
    public async Task StartAsync_WithStateFile_KeepsCredentialsTokensAndConnectorsAcrossRestarts()
    {
        var file = Path.Combine(Path.GetTempPath(), $"sandbox-{Guid.NewGuid():N}.json");
        try
        {
            string clientSecret, token, memberId;
            var port = 0;
            await using (var first = await SandboxTestHost.StartAsync(o => o.StateFile = file))
            {
                token = first.Token();
                await first.ConnectAsync();
                clientSecret = first.Host.App.ClientSecret;
                memberId = first.Portal.MemberId;
                port = first.Portal.Port;
            }
            await using var second = await SandboxTestHost.StartAsync(o =>
            {
                o.StateFile = file;
                o.Portals[0].Port = port;
            });

            Assert.Equal(clientSecret, second.Host.App.ClientSecret);
            Assert.Equal(memberId, second.Portal.MemberId);
            Assert.True(second.Portal.AppInstalled);
            Assert.Single(second.Portal.Connectors);
            var (status, _) = await second.CallAsync("app.info", token: token);
            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ConfigureApp_ChangesWhereFramesPost()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        sandbox.Host.ConfigureApp("http://127.0.0.1:7001/placement", "http://127.0.0.1:7001/install");

        Assert.Equal("http://127.0.0.1:7001/install", sandbox.Frame().TargetUrl.ToString());
        sandbox.Portal.FinishInstall();
        Assert.Equal("http://127.0.0.1:7001/placement", sandbox.Frame().TargetUrl.ToString());
    }
}
