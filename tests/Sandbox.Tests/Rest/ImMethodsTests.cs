using System.Globalization;
using System.Net;
using Xunit;

namespace LineBridge.Sandbox.Rest;

/// <summary><c>im.dialog.messages.get</c> as b24restdocs api-reference/chats/messages/im-dialog-messages-get.md defines it.</summary>
public class ImMethodsTests
{
    [Fact]
    public async Task DialogMessagesGet_ReadsOneMessageWithFirstId_ShowsEdits_AndForgetsDeletedOnes()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));
        var dialog = sandbox.Portal.Dialogs.Single();
        var reply = await sandbox.Portal.OperatorReplyAsync(1, "c1", "How can I help?", operatorUserId: 2);
        await sandbox.Portal.OperatorEditAsync(reply, "How may I help?", operatorUserId: 2);

        var (status, body) = await sandbox.CallAsync("im.dialog.messages.get", new
        {
            DIALOG_ID = "chat" + dialog.ChatId.ToString(CultureInfo.InvariantCulture), FIRST_ID = reply - 1, LIMIT = 1,
        });

        Assert.Equal(HttpStatusCode.OK, status);
        var message = Assert.Single(body["result"]!["messages"]!.AsArray())!;
        Assert.Equal(reply, message["id"]!.GetValue<int>());
        Assert.Equal(2, message["author_id"]!.GetValue<int>());
        Assert.Equal("How may I help?", message["text"]!.GetValue<string>());
        Assert.Equal("Y", message["params"]!["IS_EDITED"]!.GetValue<string>());
        Assert.Equal(dialog.ChatId, body["result"]!["chat_id"]!.GetValue<int>());

        await sandbox.Portal.OperatorDeleteAsync(reply, operatorUserId: 2);
        var (_, after) = await sandbox.CallAsync("im.dialog.messages.get", new { DIALOG_ID = "chat" + dialog.ChatId.ToString(CultureInfo.InvariantCulture) });
        Assert.DoesNotContain(after["result"]!["messages"]!.AsArray(), m => m!["id"]!.GetValue<int>() == reply);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.BadRequest, "DIALOG_ID_EMPTY")]
    [InlineData("chat999999", HttpStatusCode.Forbidden, "ACCESS_ERROR")]
    public async Task DialogMessagesGet_RefusesAMissingOrUnknownDialog(string? dialogId, HttpStatusCode expected, string error)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, body) = await sandbox.CallAsync("im.dialog.messages.get", dialogId is null ? new { } : new { DIALOG_ID = dialogId });

        Assert.Equal(expected, status);
        Assert.Equal(error, body["error"]!.GetValue<string>());
    }
}
