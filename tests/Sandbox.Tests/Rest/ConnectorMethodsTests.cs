using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.Rest;

public class ConnectorMethodsTests
{
    [Fact]
    public async Task Register_AnswersNestedTrue_StoresFlagsAndCreatesTheSettingConnectorPlacement()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var input = SandboxTestHost.Connector("LB_Test");
        input["chat_group"] = true;
        input["NEED_SIGNATURE"] = "N";

        var (status, body) = await sandbox.CallAsync("imconnector.register", input);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"result":true}""", body["result"]!.ToJsonString());
        var connector = Assert.Single(sandbox.Portal.Connectors);
        Assert.Equal("lb_test", connector.Id);
        Assert.True(connector.Flags["CHAT_GROUP"]);
        Assert.False(connector.Flags["NEED_SIGNATURE"]);
        Assert.True(connector.Flags["EDIT_INTERNAL_MESSAGES"]);
        Assert.Contains(sandbox.Portal.Placements, p => p.Placement == "SETTING_CONNECTOR" && p.ConnectorId == "lb_test");
    }

    [Theory]
    [InlineData("ID", "my.connector", "APPLICATION_REGISTRATION_ERROR_POINT")]
    [InlineData("ID", null, "CONNECTOR_ID_REQUIRED")]
    [InlineData("NAME", null, "NAME_REQUIRED")]
    [InlineData("ICON", null, "ICON_REQUIRED")]
    [InlineData("PLACEMENT_HANDLER", null, "NO_PLACEMENT_HANDLER")]
    public async Task Register_ReportsTheFirstProblem_InsideAnHttp200Result(string field, string? value, string error)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var input = SandboxTestHost.Connector();
        if (value is null) input.Remove(field);
        else input[field] = value;
        if (field == "ID" && value is not null) input.Remove("NAME"); // the point check comes before missing fields

        var (status, body) = await sandbox.CallAsync("imconnector.register", input);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body["result"]!["result"]!.GetValue<bool>());
        Assert.Equal(error, body["result"]!["error"]!.GetValue<string>());
        Assert.Empty(sandbox.Portal.Connectors);
    }

    [Fact]
    public async Task Unregister_FailsWithoutStatusRows_ByDefault_AndSucceedsOnceARowExists()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.CallAsync("imconnector.register", SandboxTestHost.Connector());

        var (_, failed) = await sandbox.CallAsync("imconnector.unregister", new { ID = "lb_test" });
        Assert.Equal("APPLICATION_UNREGISTRATION_ERROR", failed["result"]!["error"]!.GetValue<string>());
        Assert.Single(sandbox.Portal.Connectors);

        await sandbox.CallAsync("imconnector.status", new { CONNECTOR = "lb_test", LINE = 2 }); // reading a status creates its row
        var (_, ok) = await sandbox.CallAsync("imconnector.unregister", new { ID = "lb_test" });
        Assert.True(ok["result"]!["result"]!.GetValue<bool>());
        Assert.Empty(sandbox.Portal.Connectors);
        Assert.Empty(sandbox.Portal.LineStatuses);
        Assert.DoesNotContain(sandbox.Portal.Placements, p => p.ConnectorId == "lb_test");
    }

    [Fact]
    public async Task Unregister_WithoutStatusRows_Succeeds_WhenTheQuirkIsSwitchedOff()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.UnregisterFailsWithoutStatusRows = false);
        await sandbox.CallAsync("imconnector.register", SandboxTestHost.Connector());

        var (_, body) = await sandbox.CallAsync("imconnector.unregister", new { ID = "lb_test" });

        Assert.True(body["result"]!["result"]!.GetValue<bool>());
    }

    [Fact]
    public async Task List_ShowsBuiltInAndCustomConnectors_ToAdmins_AndRefusesOperators()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.CallAsync("imconnector.register", SandboxTestHost.Connector());

        var (_, body) = await sandbox.CallAsync("imconnector.list");
        var (operatorStatus, refused) = await sandbox.CallAsync("imconnector.list", token: sandbox.Token(userId: 2));

        Assert.Equal("LineBridge test", body["result"]!["lb_test"]!.GetValue<string>());
        Assert.Equal("Live chat", body["result"]!["livechat"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, operatorStatus);
        Assert.Equal("ACCESS_DENIED", refused["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task StatusActivateSetError_FollowTheStatusModel()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.CallAsync("imconnector.register", SandboxTestHost.Connector());
        async Task<JsonNode> Status() => (await sandbox.CallAsync("imconnector.status", new { CONNECTOR = "lb_test", LINE = 2 })).Body["result"]!;

        Assert.Equal("""{"LINE":2,"CONNECTOR":"lb_test","ERROR":false,"CONFIGURED":false,"STATUS":false}""", (await Status()).ToJsonString());
        var (_, activated) = await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = "1" });
        Assert.True(activated["result"]!.GetValue<bool>());
        Assert.True((await Status())["STATUS"]!.GetValue<bool>());

        var (_, error) = await sandbox.CallAsync("imconnector.set.error", new { CONNECTOR = "lb_test", LINE = 2 });
        Assert.Equal("""{"SUCCESS":true,"DATA":[]}""", error["result"]!.ToJsonString());
        var status = await Status();
        Assert.True(status["CONFIGURED"]!.GetValue<bool>());
        Assert.False(status["STATUS"]!.GetValue<bool>());

        var (_, off) = await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = 0 });
        var (_, offAgain) = await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = 0 });
        Assert.True(off["result"]!.GetValue<bool>());
        Assert.False(offAgain["result"]!.GetValue<bool>());
        Assert.Empty(sandbox.Portal.LineStatuses);
    }

    [Theory]
    [InlineData("imconnector.activate", """{"LINE":1,"ACTIVE":1}""", "CONNECTOR")]
    [InlineData("imconnector.activate", """{"CONNECTOR":"lb_test","ACTIVE":1}""", "LINE")]
    [InlineData("imconnector.activate", """{"CONNECTOR":"lb_test","LINE":1}""", "ACTIVE")]
    [InlineData("imconnector.connector.data.set", """{"CONNECTOR":"lb_test","LINE":1}""", "DATA")]
    [InlineData("imconnector.set.error", """{"CONNECTOR":"lb_test"}""", "LINE")]
    [InlineData("imconnector.status", """{"LINE":1}""", "CONNECTOR")]
    public async Task Methods_WithAMissingArgument_AnswerErrorArgument(string method, string json, string argument)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, body) = await sandbox.CallAsync(method, JsonNode.Parse(json)!.AsObject());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ERROR_ARGUMENT", body["error"]!.GetValue<string>());
        Assert.Equal($"Argument '{argument}' is null or empty", body["error_description"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true, "{\"id\":\"new-id\",\"url\":\"https://old.example\",\"name\":\"New\",\"connector_id\":\"lb_test\"}")]
    [InlineData(false, "{\"id\":\"new-id\",\"name\":\"New\",\"connector_id\":\"lb_test\"}")]
    public async Task DataSet_MergesIntoStoredData_OrOverwritesWhenSwitchedOff(bool merges, string expected)
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.ConnectorDataSetMerges = merges);
        await sandbox.CallAsync("imconnector.connector.data.set", new { CONNECTOR = "lb_test", LINE = 1, DATA = new { ID = "old-id", URL = "https://old.example" } });

        var (_, body) = await sandbox.CallAsync("imconnector.connector.data.set", new { CONNECTOR = "lb_test", LINE = 1, DATA = new { ID = "new-id", URL = "", NAME = "New" } });

        Assert.True(body["result"]!.GetValue<bool>());
        var data = sandbox.Portal.LineStatuses.Single().Data;
        Assert.Equal(JsonNode.Parse(expected)!.AsObject().Select(p => (p.Key, p.Value!.GetValue<string>())).OrderBy(p => p.Key),
            data.Select(p => (p.Key, p.Value)).OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Register_AgainWithTheSameId_UpdatesTheConnectorAndItsPlacement()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.CallAsync("imconnector.register", SandboxTestHost.Connector());

        var (_, body) = await sandbox.CallAsync("imconnector.register", SandboxTestHost.Connector(handler: "http://127.0.0.1:9/moved"));

        Assert.True(body["result"]!["result"]!.GetValue<bool>());
        Assert.Equal("http://127.0.0.1:9/moved", Assert.Single(sandbox.Portal.Connectors).PlacementHandler);
        Assert.Equal("http://127.0.0.1:9/moved", Assert.Single(sandbox.Portal.Placements, p => p.ConnectorId == "lb_test").Handler);
    }
}
