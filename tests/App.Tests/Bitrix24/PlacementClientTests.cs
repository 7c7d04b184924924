using System.Text.Json;
using LineBridge.Bitrix24.Models;
using LineBridge.Infrastructure;

namespace LineBridge.Bitrix24;

public class PlacementClientTests
{
    [Fact]
    public async Task Bind_PostsUpperCasePlacementAndHandler()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":true}"""));

        Assert.True(await h.UserClient().Placements.BindAsync(new PlacementBindRequest("CRM_LEAD_LIST_MENU", "https://app.example.com/placement", "LineBridge"),
            TestContext.Current.CancellationToken));

        var request = Assert.Single(h.Portal.Requests);
        Assert.Equal("placement.bind", request.RestMethod);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("CRM_LEAD_LIST_MENU", body.GetProperty("PLACEMENT").GetString());
        Assert.Equal("https://app.example.com/placement", body.GetProperty("HANDLER").GetString());
        Assert.Equal("LineBridge", body.GetProperty("TITLE").GetString());
        Assert.False(body.TryGetProperty("DESCRIPTION", out _));
    }

    [Fact]
    public async Task Unbind_ReturnsCount()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":{"count":"2"}}"""));

        Assert.Equal(2, await h.UserClient().Placements.UnbindAsync("CRM_LEAD_LIST_MENU", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("placement.unbind", Assert.Single(h.Portal.Requests).RestMethod);
    }

    [Fact]
    public async Task Get_ReadsBindings()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Json(
            """{"result":[{"placement":"SETTING_CONNECTOR","handler":"https://app.example.com/placement","title":"LineBridge","description":""}]}"""));

        var binding = Assert.Single(await h.UserClient().Placements.GetAsync(TestContext.Current.CancellationToken));

        Assert.Equal("SETTING_CONNECTOR", binding.Placement);
        Assert.Equal("https://app.example.com/placement", binding.Handler);
        Assert.Equal("LineBridge", binding.Title);
    }
}
