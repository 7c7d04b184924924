using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.Events;

public class EventDispatcherTests
{
    private static async Task BindAsync(SandboxTestHost sandbox, EventReceiver receiver, params string[] events)
    {
        foreach (var name in events) await sandbox.CallAsync("event.bind", new { @event = name, handler = receiver.Url });
    }

    [Fact]
    public async Task Events_AreNotDelivered_BeforeTheInstallFinished()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorStatusDelete", "OnImConnectorMessageAdd");
        await sandbox.ConnectAsync(install: false);

        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 1, ACTIVE = 0 });
        Assert.Empty(sandbox.Portal.EventDeliveries);

        sandbox.Portal.FinishInstall();
        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = 1 });
        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = 0 });
        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the status delete event");
        Assert.Single(sandbox.Portal.EventDeliveries);
    }

    [Fact]
    public async Task StatusDelete_OnDeactivation_ArrivesAsAPortalFormPost_WithApplicationTokenAndUserTokens()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorStatusDelete");
        await sandbox.ConnectAsync();

        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 1, ACTIVE = 0 }, sandbox.Token(userId: 1));

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the status delete event");
        var fields = receiver.Received.Single();
        Assert.Equal("ONIMCONNECTORSTATUSDELETE", fields["event"]);
        Assert.Equal(sandbox.Portal.EventBindings.Single().Id.ToString(), fields["event_handler_id"]);
        Assert.Equal("lb_test", fields["data[connector]"]);
        Assert.Equal("1", fields["data[line]"]);
        Assert.Matches("^[0-9]+$", fields["ts"]);
        Assert.Equal(sandbox.Portal.ApplicationToken, fields["auth[application_token]"]);
        Assert.Equal(sandbox.Portal.MemberId, fields["auth[member_id]"]);
        Assert.Equal(sandbox.Portal.Domain, fields["auth[domain]"]);
        Assert.Equal(sandbox.Portal.RestUri.ToString(), fields["auth[client_endpoint]"]);
        Assert.Equal("1", fields["auth[user_id]"]);
        Assert.False(fields.ContainsKey("auth[refresh_token]"));
        var (status, _) = await sandbox.CallAsync("user.current", token: fields["auth[access_token]"]);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        await SandboxTestHost.WaitForAsync(() => sandbox.Portal.EventDeliveries.Single().Status == 200, "the recorded delivery status");
    }

    [Fact]
    public async Task Unregister_FiresStatusDeleteForEveryLine()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorStatusDelete");
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = 1 });

        await sandbox.CallAsync("imconnector.unregister", new { ID = "lb_test" });

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 2, "two status delete events");
        Assert.Equal(["1", "2"], receiver.Received.Select(f => f["data[line]"]).Order());
    }

    [Fact]
    public async Task OperatorReply_FiresMessageAdd_WithImIdsSignatureAndExternalChat()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorMessageAdd");
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));

        var messageId = await sandbox.Portal.OperatorReplyAsync(1, "c1", "How can I help?", operatorUserId: 2);

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the message add event");
        var fields = receiver.Received.Single();
        Assert.Equal("ONIMCONNECTORMESSAGEADD", fields["event"]);
        Assert.Equal("lb_test", fields["data[CONNECTOR]"]);
        Assert.Equal(messageId.ToString(), fields["data[MESSAGES][0][im][message_id]"]);
        Assert.Equal(sandbox.Portal.Dialogs.Single().ChatId.ToString(), fields["data[MESSAGES][0][im][chat_id]"]);
        Assert.Equal("[b]Oleg Operator:[/b] [br]How can I help?", fields["data[MESSAGES][0][message][text]"]);
        Assert.Equal("c1", fields["data[MESSAGES][0][chat][id]"]);
        Assert.Equal("2", fields["auth[user_id]"]);
    }

    [Fact]
    public async Task OperatorEditAndDelete_FireUpdateAndDelete_OnlyForMessagesWithConnectorMid()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorMessageUpdate", "OnImConnectorMessageDelete");
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));
        var withoutMid = await sandbox.Portal.OperatorReplyAsync(1, "c1", "first");
        var withMid = await sandbox.Portal.OperatorReplyAsync(1, "c1", "second");
        var chatId = sandbox.Portal.Dialogs.Single().ChatId;
        await sandbox.CallAsync("imconnector.send.status.delivery", JsonNode.Parse($$$"""
            {"CONNECTOR":"lb_test","LINE":1,"MESSAGES":[{"im":{"chat_id":{{{chatId}}},"message_id":{{{withMid}}}},"message":{"id":["ext-2"]},"chat":{"id":"c1"}}]}
            """)!.AsObject());

        await sandbox.Portal.OperatorEditAsync(withoutMid, "first, edited");
        await sandbox.Portal.OperatorEditAsync(withMid, "second, edited");
        await sandbox.Portal.OperatorDeleteAsync(withoutMid);
        await sandbox.Portal.OperatorDeleteAsync(withMid);

        await SandboxTestHost.WaitForAsync(() => sandbox.Portal.EventDeliveries.Count(d => d.Done) == 2, "two deliveries");
        Assert.Equal(["ONIMCONNECTORMESSAGEUPDATE", "ONIMCONNECTORMESSAGEDELETE"], sandbox.Portal.EventDeliveries.Select(d => d.Event));
        var update = receiver.Received.First(f => f["event"] == "ONIMCONNECTORMESSAGEUPDATE");
        Assert.Equal("ext-2", update["data[MESSAGES][0][message][id][0]"]);
        Assert.EndsWith("second, edited", update["data[MESSAGES][0][message][text]"]);
        var delete = receiver.Received.First(f => f["event"] == "ONIMCONNECTORMESSAGEDELETE");
        Assert.Equal("ext-2", delete["data[MESSAGES][0][message][id]"]);
        Assert.Equal(["hello"], sandbox.Portal.Dialogs.Single().Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task DisableConnectorAndDeleteLine_FireStatusDeleteAndLineDelete()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorStatusDelete", "OnImConnectorLineDelete");
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = 1 });

        Assert.True(sandbox.Portal.DisableConnector("lb_test", 1));
        Assert.True(sandbox.Portal.DeleteLine(2));

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 3, "three events");
        Assert.Equal(["ONIMCONNECTORSTATUSDELETE:1", "ONIMCONNECTORSTATUSDELETE:2", "ONIMCONNECTORLINEDELETE:2"],
            receiver.Received.Select(f => f["event"] + ":" + (f.TryGetValue("data[line]", out var line) ? line : f["data"])));
        Assert.DoesNotContain(sandbox.Portal.OpenLines, l => l.Id == 2);
    }

    [Fact]
    public async Task Uninstall_FiresAppUninstall_WithoutTokens_AndRemovesConnectorsAndBindings()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnAppUninstall");
        await sandbox.ConnectAsync();
        var applicationToken = sandbox.Portal.ApplicationToken;

        sandbox.Portal.UninstallApp(clean: false);

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the uninstall event");
        var fields = receiver.Received.Single();
        Assert.Equal("ONAPPUNINSTALL", fields["event"]);
        Assert.Equal("0", fields["data[CLEAN]"]);
        Assert.Equal(applicationToken, fields["auth[application_token]"]);
        Assert.False(fields.ContainsKey("auth[access_token]"));
        Assert.Empty(sandbox.Portal.Connectors);
        Assert.Empty(sandbox.Portal.EventBindings);
        Assert.False(sandbox.Portal.AppInstalled);
        Assert.NotEqual(applicationToken, sandbox.Portal.ApplicationToken);
    }

    [Fact]
    public async Task FailedDeliveries_AreRecorded_AndNeverRetried()
    {
        await using var receiver = new EventReceiver(status: 500);
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorStatusDelete");
        await sandbox.ConnectAsync();

        sandbox.Portal.DisableConnector("lb_test", 1);

        await SandboxTestHost.WaitForAsync(() => sandbox.Portal.EventDeliveries.Single().Done, "the delivery attempt");
        Assert.Equal(500, sandbox.Portal.EventDeliveries.Single().Status);
        // Deliveries go one at a time, in order: once a later event has been delivered, a retry of the first would
        // already have shown up. Wait for that instead of for a while.
        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = 1 });
        sandbox.Portal.DisableConnector("lb_test", 2);
        await SandboxTestHost.WaitForAsync(() => sandbox.Portal.EventDeliveries.Count(d => d.Done) == 2, "the later delivery");
        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(2, sandbox.Portal.EventDeliveries.Count);
    }

    [Fact]
    public async Task SendOpeningANewSession_FiresDialogStart()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorDialogStart");
        await sandbox.ConnectAsync();

        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "one"), ("u1", "c1", "m2", "two")));

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the dialog start event");
        Assert.Equal("c1", receiver.Received.Single()["data[DATA][0][chat][id]"]);
    }

    [Fact]
    public async Task CloseSession_FiresDialogFinish_AndTheNextSendOpensANewSession()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await BindAsync(sandbox, receiver, "OnImConnectorDialogStart", "OnImConnectorDialogFinish");
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "one")));
        var first = sandbox.Portal.Dialogs.Single();

        Assert.True(sandbox.Portal.CloseSession(first.ChatId));
        var (_, sent) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m2", "two")));

        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 3, "start, finish, start");
        Assert.Equal(["ONIMCONNECTORDIALOGSTART", "ONIMCONNECTORDIALOGFINISH", "ONIMCONNECTORDIALOGSTART"], receiver.Received.Select(f => f["event"]));
        Assert.Equal("Y", receiver.Received.ElementAt(1)["data[DATA][0][session][closed]"]);
        var second = sandbox.Portal.Dialogs.Single();
        Assert.Equal(first.ChatId, second.ChatId);
        Assert.NotEqual(first.SessionId, second.SessionId);
        Assert.Equal(second.SessionId.ToString(), sent["result"]!["DATA"]!["RESULT"]![0]!["session"]!["ID"]!.GetValue<string>());
    }
}
