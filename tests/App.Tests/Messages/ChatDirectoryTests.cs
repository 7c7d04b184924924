using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;

namespace LineBridge.Messages;

/// <summary>Finding chats by the names people see (issue 13), and the table's other per-row facts: files, bulk limits.</summary>
public sealed class ChatDirectoryTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly MessagesHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static ConnectorMessage In(string id, string chat, string chatName, string text = "hello") => new(
        new ConnectorUser { Id = "user-1", Name = "Ann" },
        new ConnectorMessageBody { Id = id, Text = text },
        new ConnectorChat { Id = chat, Name = chatName });

    private async Task<IReadOnlyList<string>> ChatsFoundAsync(string text, bool admin = true) =>
        (await _h.Service.QueryAsync(MessagesHarness.Session(admin), new MessageQuery(1, ChatId: text), Ct))
            .Items.Select(m => m.ExternalMessageId).ToList();

    [Fact]
    public async Task QueryAsync_FindsChatsByPartOfTheirNameOrId_InAnyCase_NewestFirstAcrossChats()
    {
        _h.Send(In("m1", "order-1042", "Order #1042"));
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        _h.Send(In("m2", "refund-77", "Refund for order 1042"));
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        _h.Send(In("m3", "order-1042", "Order #1042"));
        _h.Send(In("m4", "delivery-9", "Delivery"));

        Assert.Equal(["m3", "m2", "m1"], await ChatsFoundAsync("ORDER"));
        Assert.Equal(["m3", "m1"], await ChatsFoundAsync("#104"));
        Assert.Equal(["m2"], await ChatsFoundAsync("fund-7"));
        Assert.Empty(await ChatsFoundAsync("nothing like it"));
        var page = await _h.Service.QueryAsync(MessagesHarness.Session(), new MessageQuery(1, ChatId: "order", PageSize: 2), Ct);
        Assert.Equal(3, page.TotalCount);
        Assert.Equal(2, page.Items.Count);
    }

    [Fact]
    public async Task Directory_KeepsChatsAcrossARestart()
    {
        _h.Send(In("m1", "order-1042", "Order #1042"));

        _h.Restart();

        Assert.Equal(["m1"], await ChatsFoundAsync("#1042"));
    }

    [Fact]
    public async Task ChatIds_DifferingOnlyInCase_AreTwoChats()
    {
        _h.Send(In("m1", "Chat-A", "First"));
        _h.Send(In("m2", "chat-a", "Second"));

        Assert.Equal(["m1"], await ChatsFoundAsync("First"));
        Assert.Equal(["m2"], await ChatsFoundAsync("Second"));
    }

    [Fact]
    public async Task PreviewReplace_OverAWholeLine_IsForAdministrators_AndOperatorsNameOneChatByItsName()
    {
        _h.Send(In("m1", "order-1042", "Order #1042", "teh parcel"), In("m2", "refund-77", "Refund 77", "teh refund"));

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            _h.Service.PreviewReplaceAsync(MessagesHarness.Session(admin: false), 1, null, "teh", "the", Ct));
        var line = await _h.Service.PreviewReplaceAsync(MessagesHarness.Session(admin: true), 1, null, "teh", "the", Ct);
        var chat = await _h.Service.PreviewReplaceAsync(MessagesHarness.Session(admin: false), 1, "refund 77", "teh", "the", Ct);
        var ambiguous = await Assert.ThrowsAsync<LineBridge.Components.OperationFailedException>(() =>
            _h.Service.PreviewReplaceAsync(MessagesHarness.Session(admin: false), 1, "-", "teh", "the", Ct));

        Assert.Equal(2, line.Count);
        Assert.Equal("the refund", Assert.Single(chat).NewText);
        Assert.Contains("2 chats match", ambiguous.Message);
    }

    [Fact]
    public async Task QueryAsync_ListsTheFilesAMessageCarries_ByNameAndLink()
    {
        _h.Send(new ConnectorMessage(
            new ConnectorUser { Id = "user-1", Name = "Ann" },
            new ConnectorMessageBody { Id = "f1", Files = [new ConnectorFile("http://127.0.0.1:9/files/a.pdf", "invoice.pdf"), new ConnectorFile("http://127.0.0.1:9/files/photo%201.jpg")] },
            new ConnectorChat { Id = "chat-1" }));

        var message = Assert.Single((await _h.Service.QueryAsync(MessagesHarness.Session(), new MessageQuery(1), Ct)).Items);

        Assert.Equal(
            [new MessageFile("invoice.pdf", "http://127.0.0.1:9/files/a.pdf"), new MessageFile("photo 1.jpg", "http://127.0.0.1:9/files/photo%201.jpg")],
            message.Files);
    }
}
