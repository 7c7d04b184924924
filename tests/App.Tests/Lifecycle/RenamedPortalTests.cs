using System.Net;
using System.Net.Sockets;
using LineBridge.Infrastructure;
using LineBridge.Sandbox;

namespace LineBridge.Lifecycle;

/// <summary>A portal whose domain is renamed: the app follows it, and only ever to an address the token server proves.</summary>
public sealed class RenamedPortalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterARename_TheSamePostGoesToTheNewAddress_OnceARefreshProvesIt_AndTheEndpointIsStored()
    {
        await using var api = await LifecycleApi.StartAsync(sandbox: o => o.Portals[0].RenameHost = "127.0.0.4");
        await api.SendAsync("c1", "m1", "before");
        await api.WaitForStatusAsync("c1", "m1", "Sent");
        var refreshes = api.App.OAuth.Count;

        api.Portal.Rename();
        await api.SendAsync("c1", "m2", "after");

        await api.WaitForStatusAsync("c1", "m2", "Sent");
        Assert.Equal(["after"], api.PortalCopies("m2"));
        var stored = api.App.Store.Find(api.Portal.MemberId)!;
        Assert.Equal(api.Portal.RestUri.AbsoluteUri, stored.ClientEndpoint);
        Assert.Equal(api.Portal.Domain, stored.Domain);
        Assert.Equal(refreshes + 1, api.App.OAuth.Count);
        // One 302 at the former address, then the send itself at the new one; later calls go there directly.
        var sends = api.Portal.Calls.Where(c => c.Method == "imconnector.send.messages").Select(c => c.Status).ToList();
        Assert.Equal([200, 302, 200], sends);

        await api.SendAsync("c1", "m3", "later");
        await api.WaitForStatusAsync("c1", "m3", "Sent");
        Assert.Equal(1, api.Portal.Calls.Count(c => c.Status == 302));
    }

    [Fact]
    public async Task ARedirectToAnAddressTheTokenServerDoesNotName_GetsNoToken_AndTheMessageSaysWhy()
    {
        using var elsewhere = new TcpListener(IPAddress.Loopback, 0);
        elsewhere.Start();
        var port = ((IPEndPoint)elsewhere.LocalEndpoint).Port;
        await using var api = await LifecycleApi.StartAsync();
        var endpoint = api.App.Store.Find(api.Portal.MemberId)!.ClientEndpoint;

        api.Portal.RedirectRestTo(new Uri($"http://127.0.0.1:{port}/rest/"));
        await api.SendAsync("c1", "m1", "hello");

        var failed = await api.WaitForStatusAsync("c1", "m1", "Failed");
        Assert.Contains("does not confirm", (string?)failed["failureReason"]);
        Assert.False(elsewhere.Pending()); // nobody ever connected to the unproven address
        Assert.Equal(endpoint, api.App.Store.Find(api.Portal.MemberId)!.ClientEndpoint);
    }
}
