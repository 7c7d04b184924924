using System.Net;
using Xunit;

namespace LineBridge.Sandbox.Inspection;

public class InspectionEndpointsTests
{
    [Fact]
    public async Task TokenEndpoint_IssuesTokensOfTheSeededApp_ForAUser()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, token) = await sandbox.GetAsync(new Uri(sandbox.Portal.BaseUri, "_sandbox/token?user=3"));
        var (restStatus, user) = await sandbox.CallAsync("user.current", token: token["access_token"]!.GetValue<string>());
        var (missing, _) = await sandbox.GetAsync(new Uri(sandbox.Portal.BaseUri, "_sandbox/token?user=77"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(sandbox.Portal.RestUri.ToString(), token["client_endpoint"]!.GetValue<string>());
        Assert.NotNull(token["refresh_token"]);
        Assert.Equal(HttpStatusCode.OK, restStatus);
        Assert.Equal("3", user["result"]!["ID"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task StateCallsAndEvents_ShowThePortalAsItIs_WithoutTheClientSecret()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.ConnectAsync();

        var stateText = await sandbox.Http.GetStringAsync(new Uri(sandbox.Portal.BaseUri, "_sandbox/state"), SandboxTestHost.Ct);
        var (_, calls) = await GetArrayAsync(sandbox, "_sandbox/calls");
        var (eventsStatus, _) = await GetArrayAsync(sandbox, "_sandbox/events");

        Assert.Contains(sandbox.Portal.MemberId, stateText);
        Assert.Contains("\"lb_test\"", stateText);
        Assert.DoesNotContain(sandbox.Host.App.ClientSecret, stateText);
        Assert.Equal(["imconnector.register", "imconnector.activate"], calls.Select(c => c!["method"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, eventsStatus);
    }

    [Fact]
    public async Task InspectionEndpoints_AreNeverRateLimited()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o =>
        {
            o.Portals[0].Burst = 1;
            o.Portals[0].RequestsPerSecond = 0.0001;
        });
        await sandbox.CallAsync("user.current");

        for (var i = 0; i < 5; i++)
        {
            var response = await sandbox.Http.GetAsync(new Uri(sandbox.Portal.BaseUri, "_sandbox/state"), SandboxTestHost.Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await sandbox.CallAsync("user.current")).Status);
    }

    private static async Task<(HttpStatusCode, System.Text.Json.Nodes.JsonArray)> GetArrayAsync(SandboxTestHost sandbox, string path)
    {
        var response = await sandbox.Http.GetAsync(new Uri(sandbox.Portal.BaseUri, path), SandboxTestHost.Ct);
        var text = await response.Content.ReadAsStringAsync(SandboxTestHost.Ct);
        return (response.StatusCode, System.Text.Json.Nodes.JsonNode.Parse(text)!.AsArray());
    }
}
