using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.Rest;

public class MessageMethodsTests
{
    private static async Task<SandboxTestHost> ConnectedAsync(Action<SandboxOptions>? configure = null)
    {
        var sandbox = await SandboxTestHost.StartAsync(configure);
        await sandbox.ConnectAsync();
        return sandbox;
    }

    [Fact]
    public async Task Send_AnswersIndexAlignedItems_WithUserSessionAndProcessedChat()
    {
        await using var sandbox = await ConnectedAsync();
        var input = SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello"));
        input["MESSAGES"]![0]!["chat"]!["url"] = "https://example.test/post/1";
        input["MESSAGES"]![0]!["message"]!["date"] = 1700000000;

        var (status, body) = await sandbox.CallAsync("imconnector.send.messages", input);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body["result"]!["SUCCESS"]!.GetValue<bool>());
        var item = body["result"]!["DATA"]!["RESULT"]![0]!;
        Assert.True(item["SUCCESS"]!.GetValue<bool>());
        Assert.Matches("^[0-9]+$", item["user"]!.GetValue<string>());
        Assert.Equal("{}", item["message"]!["date"]!.ToJsonString());
        Assert.Equal("Link to the original post: https://example.test/post/1", item["chat"]!["description"]!.GetValue<string>());
        Assert.Null(item["chat"]!["url"]);
        var dialog = Assert.Single(sandbox.Portal.Dialogs);
        Assert.Equal(dialog.ChatId.ToString(), item["session"]!["CHAT_ID"]!.GetValue<string>());
        Assert.Equal($"lb_test|1|c1|{item["user"]!.GetValue<string>()}", dialog.UserCode);
        Assert.Equal(["m1"], dialog.Messages.Single().ConnectorMid);
    }

    [Fact]
    public async Task Send_DoesNotDeduplicate_AndUpdateEditsEveryMessageSharingTheId()
    {
        await using var sandbox = await ConnectedAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));

        var (_, body) = await sandbox.CallAsync("imconnector.update.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "fixed")));

        Assert.True(body["result"]!["DATA"]!["RESULT"]![0]!["SUCCESS"]!.GetValue<bool>());
        var messages = sandbox.Portal.Dialogs.Single().Messages;
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal(("fixed", true), (m.Text, m.Edited)));
    }

    [Theory]
    [InlineData("imconnector.update.messages", "u1", "c1", "unknown")]
    [InlineData("imconnector.update.messages", "u1", "unknown", "m1")]
    [InlineData("imconnector.update.messages", "other", "c1", "m1")]
    [InlineData("imconnector.delete.messages", "u1", "c1", "unknown")]
    [InlineData("imconnector.delete.messages", "other", "c1", "m1")]
    public async Task UpdateAndDelete_OfUnknownIds_AnswerSuccessPerElement_AndChangeNothing(string method, string user, string chat, string id)
    {
        await using var sandbox = await ConnectedAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));

        var (status, body) = await sandbox.CallAsync(method, SandboxTestHost.Messages("lb_test", 1, (user, chat, id, "changed")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body["result"]!["DATA"]!["RESULT"]![0]!["SUCCESS"]!.GetValue<bool>());
        var message = sandbox.Portal.Dialogs.Single().Messages.Single();
        Assert.Equal(("hello", false), (message.Text, message.Edited));
    }

    [Fact]
    public async Task Delete_RemovesTheMessage_AndEchoesOnlyIds()
    {
        await using var sandbox = await ConnectedAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello"), ("u1", "c1", "m2", "stay")));
        var input = SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", ""));

        var (_, body) = await sandbox.CallAsync("imconnector.delete.messages", input);

        var item = body["result"]!["DATA"]!["RESULT"]![0]!;
        Assert.Equal("""{"id":"m1"}""", item["message"]!.ToJsonString());
        Assert.Equal(["stay"], sandbox.Portal.Dialogs.Single().Messages.Select(m => m.Text));
    }

    [Theory]
    [InlineData("imconnector.send.messages")]
    [InlineData("imconnector.update.messages")]
    [InlineData("imconnector.delete.messages")]
    [InlineData("imconnector.chat.name.set")]
    public async Task MessageMethods_OnALineWithoutWorkingConnector_AnswerNotActiveLine(string method)
    {
        await using var sandbox = await ConnectedAsync();
        var input = SandboxTestHost.Messages("lb_test", 2, ("u1", "c1", "m1", "hello"));
        input["CHAT_ID"] = "c1";
        input["NAME"] = "n";
        input["USER_ID"] = "5";

        var (status, body) = await sandbox.CallAsync(method, input);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("NOT_ACTIVE_LINE", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_AfterSetError_AnswersNotActiveLine_UntilReactivated()
    {
        await using var sandbox = await ConnectedAsync();
        await sandbox.CallAsync("imconnector.set.error", new { CONNECTOR = "lb_test", LINE = 1 });
        var (errored, _) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi")));
        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 1, ACTIVE = 1 });
        var (healed, _) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hi")));

        Assert.Equal(HttpStatusCode.BadRequest, errored);
        Assert.Equal(HttpStatusCode.OK, healed);
    }

    [Theory]
    [InlineData("LB_TEST")]
    [InlineData("unknown")]
    public async Task MessageMethods_WithAnUnregisteredConnector_AnswerNoCorrectProvider(string connector)
    {
        await using var sandbox = await ConnectedAsync();

        var (status, body) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages(connector, 1, ("u1", "c1", "m1", "hi")));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("IMCONNECTOR_NO_CORRECT_PROVIDER", body["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"LINE":1,"MESSAGES":[]}""", "Argument 'CONNECTOR' is null or empty")]
    [InlineData("""{"CONNECTOR":"lb_test","MESSAGES":[]}""", "Argument 'LINE' is null or empty")]
    [InlineData("""{"CONNECTOR":"lb_test","LINE":1}""", "Argument 'MESSAGES' is null or empty")]
    [InlineData("""{"CONNECTOR":"lb_test","LINE":1,"MESSAGES":"text"}""", "The value of an argument 'MESSAGES' must be of type array")]
    [InlineData("""{"CONNECTOR":"lb_test","LINE":1,"MESSAGES":["text"]}""", "The MESSAGES parameter must be an array of messages (arrays)")]
    [InlineData("""{"CONNECTOR":"lb_test","LINE":1,"MESSAGES":[{"user":{"id":"1"},"chat":{"id":"1"}}]}""", "The incorrect structure of a message inside MESSAGES parameter.")]
    public async Task Send_ValidatesArgumentsAndStructure_WithErrorArgument(string json, string description)
    {
        await using var sandbox = await ConnectedAsync();

        var (status, body) = await sandbox.CallAsync("imconnector.send.messages", JsonNode.Parse(json)!.AsObject());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ERROR_ARGUMENT", body["error"]!.GetValue<string>());
        Assert.Equal(description, body["error_description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_WithAnEmptyJsonArray_PassesTheIssetCheck_AndUpdateSkipsTheStructureCheck()
    {
        await using var sandbox = await ConnectedAsync();

        var (sendStatus, send) = await sandbox.CallAsync("imconnector.send.messages", JsonNode.Parse("""{"CONNECTOR":"lb_test","LINE":1,"MESSAGES":[]}""")!.AsObject());
        var (updateStatus, _) = await sandbox.CallAsync("imconnector.update.messages", JsonNode.Parse("""{"CONNECTOR":"lb_test","LINE":1,"MESSAGES":[{"chat":{"id":"1"}}]}""")!.AsObject());

        Assert.Equal(HttpStatusCode.OK, sendStatus);
        Assert.Empty(send["result"]!["DATA"]!["RESULT"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, updateStatus);
    }

    [Fact]
    public async Task Send_FailsBadElementsIndividually_AndKeepsTopLevelSuccess()
    {
        await using var sandbox = await ConnectedAsync();
        var input = SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", ""), ("u1", "c1", "m2", "fine"));
        input["MESSAGES"]!.AsArray().Add(JsonNode.Parse("""{"user":{},"message":{"text":"x"},"chat":{"id":"c1"}}"""));

        var (_, body) = await sandbox.CallAsync("imconnector.send.messages", input);

        Assert.True(body["result"]!["SUCCESS"]!.GetValue<bool>());
        var items = body["result"]!["DATA"]!["RESULT"]!.AsArray();
        Assert.Equal([false, true, false], items.Select(i => i!["SUCCESS"]!.GetValue<bool>()));
        Assert.NotEmpty(items[0]!["ERRORS"]!.AsArray());
    }

    [Fact]
    public async Task Send_TruncatesTextsOverTheLimit()
    {
        await using var sandbox = await ConnectedAsync();

        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", new string('a', 20005))));

        Assert.Equal(new string('a', 20000) + " (...)", sandbox.Portal.Dialogs.Single().Messages.Single().Text);
    }

    [Fact]
    public async Task MessagesKeys_AreCaseInsensitive_AndChatGroupKeysDialogsByChatOnly()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var connector = SandboxTestHost.Connector();
        connector["CHAT_GROUP"] = true;
        await sandbox.CallAsync("imconnector.register", connector);
        await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 1, ACTIVE = 1 });

        await sandbox.CallAsync("imconnector.send.messages", JsonNode.Parse("""
            {"connector":"lb_test","line":1,"messages":[
              {"USER":{"ID":"a"},"MESSAGE":{"ID":"m1","TEXT":"from a"},"CHAT":{"ID":"room"}},
              {"user":{"id":"b"},"message":{"id":"m2","text":"from b"},"chat":{"id":"room"}}]}
            """)!.AsObject());

        var dialog = Assert.Single(sandbox.Portal.Dialogs);
        Assert.Equal("lb_test|1|room|0", dialog.UserCode);
        Assert.Equal(2, dialog.Messages.Count);
    }

    [Fact]
    public async Task DeliveryStatus_SetsConnectorMid_OnAnOperatorMessage_AndIgnoresUnknownIds()
    {
        await using var sandbox = await ConnectedAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));
        var dialog = sandbox.Portal.Dialogs.Single();
        var messageId = await sandbox.Portal.OperatorReplyAsync(1, "c1", "answer");

        var (_, body) = await sandbox.CallAsync("imconnector.send.status.delivery", JsonNode.Parse($$$"""
            {"CONNECTOR":"lb_test","LINE":1,"MESSAGES":[
              {"im":{"chat_id":{{{dialog.ChatId}}},"message_id":{{{messageId}}}},"message":{"id":["ext-9"],"date":1700000000},"chat":{"id":"c1"}},
              {"im":{"chat_id":1,"message_id":1},"message":{"id":["nope"]},"chat":{"id":"c1"}}]}
            """)!.AsObject());
        var (_, reading) = await sandbox.CallAsync("imconnector.send.status.reading", JsonNode.Parse("""{"CONNECTOR":"lb_test","LINE":1,"MESSAGES":[]}""")!.AsObject());

        Assert.Equal("""{"SUCCESS":true,"DATA":[]}""", body["result"]!.ToJsonString());
        Assert.Equal("""{"SUCCESS":true,"DATA":[]}""", reading["result"]!.ToJsonString());
        var reply = sandbox.Portal.Dialogs.Single().Messages.Single(m => m.Id == messageId);
        Assert.Equal(["ext-9"], reply.ConnectorMid);
        Assert.False(reply.Sending);
    }

    [Fact]
    public async Task ChatNameSet_RenamesAnExistingDialog_AndFailsForAnUnknownOne()
    {
        await using var sandbox = await ConnectedAsync();
        var (_, sent) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));
        var b24User = sent["result"]!["DATA"]!["RESULT"]![0]!["user"]!.GetValue<string>();

        var (_, ok) = await sandbox.CallAsync("imconnector.chat.name.set", new { CONNECTOR = "lb_test", LINE = 1, CHAT_ID = "c1", NAME = "Renamed", USER_ID = b24User });
        var (unknownStatus, unknown) = await sandbox.CallAsync("imconnector.chat.name.set", new { CONNECTOR = "lb_test", LINE = 1, CHAT_ID = "zz", NAME = "x", USER_ID = b24User });
        var (zeroStatus, zero) = await sandbox.CallAsync("imconnector.chat.name.set", new { CONNECTOR = "lb_test", LINE = 1, CHAT_ID = "c1", NAME = "0", USER_ID = b24User });

        Assert.Equal("""{"SUCCESS":true,"DATA":{"RESULT":{}}}""", ok["result"]!.ToJsonString());
        Assert.Equal("Renamed", sandbox.Portal.Dialogs.Single().Name);
        Assert.Equal(HttpStatusCode.BadRequest, unknownStatus);
        Assert.Equal("CHAT_RENAMING_FAILED", unknown["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, zeroStatus);
        Assert.Equal("ERROR_ARGUMENT", zero["error"]!.GetValue<string>());
    }
}
