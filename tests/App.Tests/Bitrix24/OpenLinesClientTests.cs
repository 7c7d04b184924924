using System.Text.Json;
using LineBridge.Infrastructure;

namespace LineBridge.Bitrix24;

public class OpenLinesClientTests
{
    [Fact]
    public async Task List_PagesThroughAllLines_ByOffset()
    {
        await using var h = new ClientHarness(r =>
        {
            var offset = JsonDocument.Parse(r.Body).RootElement.GetProperty("PARAMS").GetProperty("offset").GetInt32();
            return RecordingHandler.Fixture(offset switch { 0 => "config-list-page1", 2 => "config-list-page2", _ => "config-list-page3" });
        });

        var lines = new List<LineBridge.Bitrix24.Models.OpenLine>();
        await foreach (var line in h.UserClient().OpenLines.ListAsync(new() { PageSize = 2 }, TestContext.Current.CancellationToken)) lines.Add(line);

        Assert.Equal([1, 2, 3, 4, 5], lines.Select(l => l.Id));
        Assert.Equal("Line 3", lines[2].Name);
        Assert.True(lines[0].Active);
        Assert.False(lines[1].Active);
        Assert.Equal("evenly", lines[0].Fields["QUEUE_TYPE"]);
        Assert.Equal(3, h.Portal.Requests.Count);
        var first = JsonDocument.Parse(h.Portal.Requests.First().Body).RootElement.GetProperty("PARAMS");
        Assert.Equal(2, first.GetProperty("limit").GetInt32());
        Assert.Equal("imopenlines.config.list.get", h.Portal.Requests.First().RestMethod);
    }

    [Fact]
    public async Task List_FiltersActiveLines_WhenAsked()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Fixture("config-list-page3"));

        await foreach (var _ in h.UserClient().OpenLines.ListAsync(new() { ActiveOnly = true }, TestContext.Current.CancellationToken)) { }

        var filter = JsonDocument.Parse(Assert.Single(h.Portal.Requests).Body).RootElement.GetProperty("PARAMS").GetProperty("filter");
        Assert.Equal("Y", filter.GetProperty("ACTIVE").GetString());
    }

    [Fact]
    public async Task Get_ReturnsNull_WhenPortalAnswersResultFalse()
    {
        await using var h = new ClientHarness(_ => RecordingHandler.Fixture("config-get-missing"));

        Assert.Null(await h.UserClient().OpenLines.GetAsync(99, TestContext.Current.CancellationToken));
        Assert.Equal(99, JsonDocument.Parse(Assert.Single(h.Portal.Requests).Body).RootElement.GetProperty("CONFIG_ID").GetInt32());
    }
}
