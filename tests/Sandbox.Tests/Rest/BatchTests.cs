using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.Rest;

/// <summary>The <c>batch</c> method (§5.4), part of <see cref="RestEngine"/>.</summary>
public class BatchTests
{
    [Fact]
    public async Task Batch_AnswersPerCommandResultsErrorsTotalsAndTimes()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, body) = await sandbox.CallAsync("batch", new JsonObject
        {
            ["cmd"] = new JsonObject
            {
                ["me"] = "user.current",
                ["lines"] = "imopenlines.config.list.get?PARAMS[limit]=2",
                ["bad"] = "imopenlines.config.get?CONFIG_ID=0",
            },
        });

        Assert.Equal(HttpStatusCode.OK, status);
        var result = body["result"]!;
        Assert.Equal("1", result["result"]!["me"]!["ID"]!.GetValue<string>());
        Assert.Equal(2, result["result"]!["lines"]!.AsArray().Count);
        Assert.Equal("CONFIG_ID_EMPTY", result["result_error"]!["bad"]!["error"]!.GetValue<string>());
        Assert.Equal(3, result["result_total"]!["lines"]!.GetValue<int>());
        Assert.Equal(2, result["result_next"]!["lines"]!.GetValue<int>());
        Assert.True(result["result_time"]!["me"]!.AsObject().ContainsKey("operating"));
        Assert.True(body["time"]!.AsObject().ContainsKey("duration"));
    }

    [Fact]
    public async Task Batch_RunsFiftyCommands_AndFailsEachOneAfter()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var commands = new JsonArray();
        for (var i = 0; i < 52; i++) commands.Add("user.admin");

        var (_, body) = await sandbox.CallAsync("batch", new JsonObject { ["cmd"] = commands });

        Assert.Equal(50, body["result"]!["result"]!.AsArray().Count);
        var errors = body["result"]!["result_error"]!.AsObject();
        Assert.Equal(["50", "51"], errors.Select(e => e.Key));
        Assert.All(errors, e => Assert.Equal("ERROR_BATCH_LENGTH_EXCEEDED", e.Value!["error"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(1, 1)]
    public async Task Batch_WithHalt_StopsAfterTheFirstFailure(int halt, int expectedResults)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, body) = await sandbox.CallAsync("batch", new JsonObject
        {
            ["halt"] = halt,
            ["cmd"] = new JsonObject { ["a"] = "user.admin", ["b"] = "no.such.method", ["c"] = "user.admin", ["d"] = "profile" },
        });

        Assert.Equal(expectedResults, body["result"]!["result"]!.AsObject().Count);
        Assert.Equal("ERROR_METHOD_NOT_FOUND", body["result"]!["result_error"]!["b"]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_RefusesANestedBatch_AndSubstitutesResultReferences()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, body) = await sandbox.CallAsync("batch", new JsonObject
        {
            ["cmd"] = new JsonObject
            {
                ["nested"] = "batch?cmd[x]=user.current",
                ["first"] = "imopenlines.config.list.get?PARAMS[limit]=1",
                ["byRef"] = "imopenlines.config.get?CONFIG_ID=$result[first][0][ID]",
            },
        });

        Assert.Equal("ERROR_BATCH_METHOD_NOT_ALLOWED", body["result"]!["result_error"]!["nested"]!["error"]!.GetValue<string>());
        Assert.Equal("1", body["result"]!["result"]!["byRef"]!["ID"]!.GetValue<string>());
    }
}
