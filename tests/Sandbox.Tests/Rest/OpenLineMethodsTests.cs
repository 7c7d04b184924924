using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.Rest;

public class OpenLineMethodsTests
{
    [Fact]
    public async Task ListGet_PagesWithLimitAndOffset_AndReportsTotalAndNext()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Portals[0].OpenLineCount = 5);

        var (_, first) = await sandbox.CallAsync("imopenlines.config.list.get", new { PARAMS = new { limit = 2 } });
        var (_, last) = await sandbox.CallAsync("imopenlines.config.list.get", new { PARAMS = new { limit = 2, offset = 4 } });

        Assert.Equal(["1", "2"], first["result"]!.AsArray().Select(l => l!["ID"]!.GetValue<string>()));
        Assert.Equal(5, first["total"]!.GetValue<int>());
        Assert.Equal(2, first["next"]!.GetValue<int>());
        Assert.Single(last["result"]!.AsArray());
        Assert.Null(last["next"]);
    }

    [Fact]
    public async Task ListGet_FiltersOrdersSelects_AndAddsTheQueueOnRequest()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, body) = await sandbox.CallAsync("imopenlines.config.list.get", new
        {
            PARAMS = new { select = new[] { "ID", "LINE_NAME", "ACTIVE" }, filter = new { ACTIVE = "Y" }, order = new { ID = "desc" } },
            OPTIONS = new { QUEUE = "Y" },
        });

        var lines = body["result"]!.AsArray();
        Assert.Equal(["2", "1"], lines.Select(l => l!["ID"]!.GetValue<string>()));
        Assert.All(lines, l => Assert.Equal("Y", l!["ACTIVE"]!.GetValue<string>()));
        Assert.Null(lines[0]!["CRM"]);
        Assert.NotEmpty(lines[0]!["QUEUE"]!.AsArray());
        Assert.NotNull(lines[0]!["QUEUE_USERS_FIELDS"]);
    }

    [Theory]
    [InlineData("""{"PARAMS":{"bogus":1}}""")]
    [InlineData("""{"PARAMS":{"select":["NOPE"]}}""")]
    [InlineData("""{"PARAMS":{"order":{"ID":"sideways"}}}""")]
    [InlineData("""{"PARAMS":{"filter":{"NOPE":"Y"}}}""")]
    [InlineData("""{"OPTIONS":{"WHAT":"Y"}}""")]
    public async Task ListGet_WithBadParams_AnswersInvalidFormat(string json)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, body) = await sandbox.CallAsync("imopenlines.config.list.get", JsonNode.Parse(json)!.AsObject());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_FORMAT", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_AnswersOneLineWithQueue_FalseForUnknown_AndConfigIdEmptyForZero()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, line) = await sandbox.CallAsync("imopenlines.config.get", new { CONFIG_ID = 3 });
        var (_, unknown) = await sandbox.CallAsync("imopenlines.config.get", new { CONFIG_ID = 99 });
        var (emptyStatus, empty) = await sandbox.CallAsync("imopenlines.config.get", new { CONFIG_ID = 0 });

        Assert.Equal("N", line["result"]!["ACTIVE"]!.GetValue<string>());
        Assert.NotNull(line["result"]!["QUEUE"]);
        Assert.False(unknown["result"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.BadRequest, emptyStatus);
        Assert.Equal("CONFIG_ID_EMPTY", empty["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_ForAnUnknownId_AnswersConfigNotFound_WhenSwitched()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.ConfigGetUnknownReturnsFalse = false);

        var (status, body) = await sandbox.CallAsync("imopenlines.config.get", new { CONFIG_ID = 99 });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("CONFIG_NOT_FOUND", body["error"]!.GetValue<string>());
    }
}
