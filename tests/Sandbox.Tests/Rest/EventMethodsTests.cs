using System.Net;
using Xunit;

namespace LineBridge.Sandbox.Rest;

public class EventMethodsTests
{
    [Fact]
    public async Task Bind_StoresUpperCase_GetListsIt_UnbindCountsRemoved()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, bound) = await sandbox.CallAsync("event.bind", new { @event = "OnImConnectorMessageAdd", handler = "http://127.0.0.1:9/events" });
        var (_, list) = await sandbox.CallAsync("event.get");
        var (_, unbound) = await sandbox.CallAsync("event.unbind", new { @event = "onimconnectormessageadd", handler = "http://127.0.0.1:9/events" });

        Assert.True(bound["result"]!.GetValue<bool>());
        Assert.Equal("""[{"event":"ONIMCONNECTORMESSAGEADD","handler":"http://127.0.0.1:9/events","auth_type":"0","offline":0}]""", list["result"]!.ToJsonString());
        Assert.Equal(1, unbound["result"]!["count"]!.GetValue<int>());
        Assert.Empty(sandbox.Portal.EventBindings);
    }

    [Theory]
    [InlineData("OnNoSuchEvent", "http://127.0.0.1:9/events", "ERROR_EVENT_NOT_FOUND")]
    [InlineData("OnAppUninstall", "http://localhost:9/events", "ERROR_WRONG_HANDLER_URL")]
    [InlineData("OnAppUninstall", "not a url", "ERROR_WRONG_HANDLER_URL")]
    [InlineData("OnAppUninstall", "ftp://127.0.0.1/events", "ERROR_UNSUPPORTED_PROTOCOL")]
    public async Task Bind_RefusesBadEventsAndHandlers(string name, string handler, string error)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, body) = await sandbox.CallAsync("event.bind", new { @event = name, handler });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(error, body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bind_RefusesADuplicate_AndConnectorEventsWithoutTheOpenLinesScope()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.CallAsync("event.bind", new { @event = "OnAppUninstall", handler = "http://127.0.0.1:9/events" });

        var (status, body) = await sandbox.CallAsync("event.bind", new { @event = "OnAppUninstall", handler = "http://127.0.0.1:9/events" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ERROR_CORE", body["error"]!.GetValue<string>());
        await using var narrow = await SandboxTestHost.StartAsync(o => o.Scopes = "placement");
        var (_, refused) = await narrow.CallAsync("event.bind", new { @event = "OnImConnectorMessageAdd", handler = "http://127.0.0.1:9/events" });
        Assert.Equal("ERROR_EVENT_NOT_FOUND", refused["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bind_ByAnOperator_BindsWithTheirOwnUser_AndRefusesOffline()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var operatorToken = sandbox.Token(userId: 2);

        await sandbox.CallAsync("event.bind", new { @event = "OnAppUninstall", handler = "http://127.0.0.1:9/events", auth_type = 0 }, operatorToken);
        var (status, body) = await sandbox.CallAsync("event.bind", new { @event = "OnAppUninstall", event_type = "offline" }, operatorToken);

        Assert.Equal(2, sandbox.Portal.EventBindings.Single().AuthType);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("ACCESS_DENIED", body["error"]!.GetValue<string>());
    }
}
