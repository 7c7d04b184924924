using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox;

/// <summary>Each UNCONFIRMED / SRC-ONLY switch changes the behaviour it names (the defaults are covered by the method tests).</summary>
public class SandboxSwitchesTests
{
    [Fact]
    public async Task TruncateLongText_Off_KeepsLongTexts()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.TruncateLongText = false);
        await sandbox.ConnectAsync();

        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", new string('a', 20005))));

        Assert.Equal(20005, sandbox.Portal.Dialogs.Single().Messages.Single().Text.Length);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task RegisterFlagsAcceptStrings_DecidesWhetherFormStringsCountAsTrue(bool acceptStrings, bool expected)
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.RegisterFlagsAcceptStrings = acceptStrings);
        var input = SandboxTestHost.Connector();
        input["CHAT_GROUP"] = "Y";

        await sandbox.CallAsync("imconnector.register", input);

        Assert.Equal(expected, sandbox.Portal.Connectors.Single().Flags["CHAT_GROUP"]);
    }

    [Fact]
    public async Task ChatNameSetUserIdIsExternal_On_FindsTheDialogByTheExternalUserId()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.ChatNameSetUserIdIsExternal = true);
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("ext-user", "c1", "m1", "hi")));

        var (status, _) = await sandbox.CallAsync("imconnector.chat.name.set", new { CONNECTOR = "lb_test", LINE = 1, CHAT_ID = "c1", NAME = "Renamed", USER_ID = "ext-user" });

        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal("Renamed", sandbox.Portal.Dialogs.Single().Name);
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 1)]
    public async Task AnonymousUserPerMessage_DecidesWhetherMessagesWithoutUserIdShareADialog(bool perMessage, int dialogs)
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.AnonymousUserPerMessage = perMessage);
        await sandbox.ConnectAsync();

        await sandbox.CallAsync("imconnector.send.messages", JsonNode.Parse("""
            {"CONNECTOR":"lb_test","LINE":1,"MESSAGES":[
              {"user":{"name":"Anon"},"message":{"id":"m1","text":"one"},"chat":{"id":"c1"}},
              {"user":{"name":"Anon"},"message":{"id":"m2","text":"two"},"chat":{"id":"c1"}}]}
            """)!.AsObject());

        Assert.Equal(dialogs, sandbox.Portal.Dialogs.Count);
    }

    [Fact]
    public async Task SendOnAppInstallToUiApps_On_DeliversOnAppInstallWithARefreshToken_WhenTheInstallFinishes()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.SendOnAppInstallToUiApps = true);
        await sandbox.CallAsync("event.bind", new { @event = "OnAppInstall", handler = receiver.Url });

        sandbox.Portal.FinishInstall();

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the install event");
        var fields = receiver.Received.Single();
        Assert.Equal("ONAPPINSTALL", fields["event"]);
        Assert.Equal("Y", fields["data[INSTALLED]"]);
        Assert.True(fields.ContainsKey("auth[refresh_token]"));
    }

    [Fact]
    public async Task EventHandlerIdField_NamesTheBindingField()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.EventHandlerIdField = "eventId");
        await sandbox.CallAsync("event.bind", new { @event = "OnImConnectorStatusDelete", handler = receiver.Url });
        await sandbox.ConnectAsync();

        sandbox.Portal.DisableConnector("lb_test", 1);

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the status delete event");
        Assert.Equal(sandbox.Portal.EventBindings.Single().Id.ToString(), receiver.Received.Single()["eventId"]);
        Assert.False(receiver.Received.Single().ContainsKey("event_handler_id"));
    }

    [Theory]
    [InlineData(false, "")]
    [InlineData(true, "{}")]
    public async Task DefaultPlacementOptionsAsEmptyObject_DecidesPlacementOptionsOfDefaultFrames(bool emptyObject, string expected)
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.DefaultPlacementOptionsAsEmptyObject = emptyObject);

        Assert.Equal(expected, sandbox.Frame().Form["PLACEMENT_OPTIONS"]);
    }

    [Fact]
    public async Task SendDialogStartEvents_Off_SendsNoDialogStart()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.SendDialogStartEvents = false);
        await sandbox.CallAsync("event.bind", new { @event = "OnImConnectorDialogStart", handler = receiver.Url });
        await sandbox.CallAsync("event.bind", new { @event = "OnImConnectorStatusDelete", handler = receiver.Url });
        await sandbox.ConnectAsync();

        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi")));
        sandbox.Portal.DisableConnector("lb_test", 1); // a later event proves the queue got past the send

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the status delete event");
        Assert.Equal("ONIMCONNECTORSTATUSDELETE", receiver.Received.Single()["event"]);
    }

    [Fact]
    public async Task AcceptBearerHeader_Off_IgnoresTheHeader()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.AcceptBearerHeader = false);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(sandbox.Portal.RestUri, "user.current"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", sandbox.Token());

        var response = await sandbox.Http.SendAsync(request, SandboxTestHost.Ct);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task NotActiveLineAsResult_On_AnswersSuccessFalse_InsteadOfAnError()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.NotActiveLineAsResult = true);
        await sandbox.ConnectAsync();

        var (status, body) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 2, ("u1", "c1", "m1", "hi")));

        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal("""{"SUCCESS":false,"DATA":[]}""", body["result"]!.ToJsonString());
    }

    [Theory]
    [InlineData(false, "hello")]
    [InlineData(true, "")]
    public async Task UpdateWithFilesOnlyClearsText_DecidesWhatAFilesOnlyUpdateDoesToTheText(bool clears, string expected)
    {
        await using var files = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Switches.UpdateWithFilesOnlyClearsText = clears);
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));
        var update = SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", ""));
        // The portal downloads the file (the sandbox only from loopback), so it must be there.
        update["MESSAGES"]![0]!["message"]!["files"] = new JsonArray(new JsonObject { ["url"] = files.Url.Replace("/events", "/a.png", StringComparison.Ordinal), ["name"] = "a.png" });

        var (_, body) = await sandbox.CallAsync("imconnector.update.messages", update);

        Assert.True(body["result"]!["DATA"]!["RESULT"]![0]!["SUCCESS"]!.GetValue<bool>());
        Assert.Equal(expected, sandbox.Portal.Dialogs.Single().Messages.Single().Text);
    }
}
