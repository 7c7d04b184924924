using System.Net;
using System.Text;
using Xunit;

namespace LineBridge.Sandbox;

public class FaultInjectorTests
{
    [Theory]
    [InlineData(1.0, 0.0, 500, "INTERNAL_SERVER_ERROR")]
    [InlineData(0.0, 1.0, 503, "QUERY_LIMIT_EXCEEDED")]
    public async Task Faults_AnswerErrorsForTheGivenShare(double errorRate, double unavailableRate, int status, string error)
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Faults = new FaultSettings { ErrorRate = errorRate, UnavailableRate = unavailableRate });

        var (actual, body) = await sandbox.CallAsync("user.current");

        Assert.Equal(status, (int)actual);
        Assert.Equal(error, body["error"]!.GetValue<string>());
        Assert.Equal("user.current", sandbox.Portal.Calls.Single().Method);
        Assert.NotNull(sandbox.Portal.Calls.Single().Fault);
    }

    [Fact]
    public async Task Faults_HitOnlyTheListedMethods_AndClearStopsThem()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        sandbox.Host.Faults.Set(new FaultSettings { ErrorRate = 1, Methods = ["imconnector.send.messages"] });

        var (other, _) = await sandbox.CallAsync("user.current");
        var (hit, _) = await sandbox.CallAsync("IMCONNECTOR.SEND.MESSAGES", new { });
        sandbox.Host.Faults.Clear();
        var (cleared, _) = await sandbox.CallAsync("imconnector.send.messages", new { });

        Assert.Equal(HttpStatusCode.OK, other);
        Assert.Equal(HttpStatusCode.InternalServerError, hit);
        Assert.Equal(HttpStatusCode.BadRequest, cleared);
    }

    [Fact]
    public async Task Faults_WithASeed_AreReproducible()
    {
        async Task<List<HttpStatusCode>> RunAsync()
        {
            await using var sandbox = await SandboxTestHost.StartAsync(o => o.Faults = new FaultSettings { ErrorRate = 0.5, Seed = 42 });
            var token = sandbox.Token();
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 12; i++) statuses.Add((await sandbox.CallAsync("user.admin", token: token)).Status);
            return statuses;
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains(HttpStatusCode.OK, first);
        Assert.Contains(HttpStatusCode.InternalServerError, first);
    }

    [Fact]
    public async Task DropFault_AbortsTheConnection_BeforeProcessing()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.ConnectAsync();
        sandbox.Host.Faults.Set(new FaultSettings { DropRate = 1 });

        await Assert.ThrowsAnyAsync<HttpRequestException>(() =>
            sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi"))));

        Assert.Empty(sandbox.Portal.Dialogs);
        Assert.Equal("drop", sandbox.Portal.Calls.Last().Fault);
    }

    [Fact]
    public async Task LostResponseFault_ProcessesTheCall_ThenAbortsTheConnection()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.ConnectAsync();
        sandbox.Host.Faults.Set(new FaultSettings { LostResponseRate = 1 });

        await Assert.ThrowsAnyAsync<HttpRequestException>(() =>
            sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi"))));

        Assert.Equal("hi", sandbox.Portal.Dialogs.Single().Messages.Single().Text);
        Assert.Equal(("lost-response", 200), (sandbox.Portal.Calls.Last().Fault, sandbox.Portal.Calls.Last().Status));
    }

    [Fact]
    public async Task Latency_DelaysAnswers_WithoutChangingThem()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        sandbox.Host.Faults.Set(new FaultSettings { Latency = TimeSpan.FromMilliseconds(300) });
        var started = System.Diagnostics.Stopwatch.StartNew();

        var (status, _) = await sandbox.CallAsync("user.current");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(started.ElapsedMilliseconds >= 250, "the answer came before the added latency");
    }

    [Fact]
    public async Task FaultsEndpoint_SetsFaultsAtRunTime_ExpiresTokens_AndIsNeverFaultedItself()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var token = sandbox.Token();
        var faults = new Uri(sandbox.Portal.BaseUri, "_sandbox/faults");

        var set = await sandbox.Http.PostAsync(faults, new StringContent("""{"errorRate":1,"expireTokens":true}""", Encoding.UTF8, "application/json"), SandboxTestHost.Ct);
        var (faulted, _) = await sandbox.CallAsync("user.current", token: token);
        var read = await sandbox.Http.GetAsync(faults, SandboxTestHost.Ct);
        var state = await sandbox.Http.GetAsync(new Uri(sandbox.Portal.BaseUri, "_sandbox/state"), SandboxTestHost.Ct);
        await sandbox.Http.DeleteAsync(faults, SandboxTestHost.Ct);
        var (expired, body) = await sandbox.CallAsync("user.current", token: token);

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, faulted);
        Assert.Equal(1, (await SandboxTestHost.ReadAsync(read))["errorRate"]!.GetValue<double>());
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired);
        Assert.Equal("expired_token", body["error"]!.GetValue<string>());
    }
}
