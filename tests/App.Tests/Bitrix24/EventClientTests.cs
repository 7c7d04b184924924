using System.Text.Json;
using LineBridge.Infrastructure;

namespace LineBridge.Bitrix24;

public class EventClientTests
{
    [Fact]
    public async Task Bind_PostsEventAndHandler()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":true}"""));

        Assert.True(await h.UserClient().Events.BindAsync("OnImConnectorMessageAdd", "https://app.example.com/events", TestContext.Current.CancellationToken));

        var request = Assert.Single(h.Portal.Requests);
        Assert.Equal("event.bind", request.RestMethod);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("OnImConnectorMessageAdd", body.GetProperty("event").GetString());
        Assert.Equal("https://app.example.com/events", body.GetProperty("handler").GetString());
    }

    [Fact]
    public async Task Bind_ThrowsErrorCore_WhenHandlerAlreadyBound_AndIsNotRetried()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Fixture("event-bind-duplicate", System.Net.HttpStatusCode.BadRequest));

        var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() =>
            h.UserClient().Events.BindAsync("OnAppUninstall", "https://app.example.com/events", TestContext.Current.CancellationToken));

        Assert.Equal(Bitrix24Errors.ErrorCore, ex.ErrorCode);
        Assert.Contains("already binded", ex.ErrorDescription);
        Assert.Single(h.Portal.Requests);
    }

    [Fact]
    public async Task Get_ReadsBindings()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Fixture("event-get"));

        var bindings = await h.UserClient().Events.GetAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, bindings.Count);
        Assert.Equal(new LineBridge.Bitrix24.Models.EventBinding("ONIMCONNECTORMESSAGEADD", "https://app.example.com/events", "0", false), bindings[0]);
    }

    [Fact]
    public async Task Unbind_ReturnsCount()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":{"count":1}}"""));

        Assert.Equal(1, await h.UserClient().Events.UnbindAsync("OnAppUninstall", "https://app.example.com/events", TestContext.Current.CancellationToken));
        Assert.Equal("event.unbind", Assert.Single(h.Portal.Requests).RestMethod);
    }
}
