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
    public void Find_WithMoreMatchesThanOneSearchMerges_GivesTheBestFirst_AndCountsThemAll()
    {
        var chats = new ChatDirectory(_h.Db);
        chats.Note(MessagesHarness.MemberId, 1, Enumerable.Range(0, 120).Select(i => ($"customer-{i:000}", (string?)$"Customer {i:000}")));
        chats.Note(MessagesHarness.MemberId, 1, [("vip-7", "Customer")]);

        var broad = chats.Find(MessagesHarness.MemberId, 1, "customer");

        Assert.Equal(121, broad.Total);
        Assert.Equal(ChatDirectory.MaxMatches, broad.Chats.Count);
        Assert.Equal("vip-7", broad.Chats[0].ChatId); // the exact name leads
        Assert.Equal("customer-000", broad.Chats[1].ChatId); // then those that start with the text, by name
        // A chat past the first fifty is reached by narrowing; an exact id is always first.
        var narrow = chats.Find(MessagesHarness.MemberId, 1, "customer-11");
        Assert.Equal(10, narrow.Total);
        Assert.Equal(Enumerable.Range(110, 10).Select(i => $"customer-{i}"), narrow.Chats.Select(c => c.ChatId));
        Assert.Equal("customer-119", chats.Find(MessagesHarness.MemberId, 1, "customer-119").Chats[0].ChatId);
    }

    [Fact]
    public async Task QueryAsync_ReportsHowManyChatsMatched_AndHowManyItMerged()
    {
        _h.Send([.. Enumerable.Range(0, 60).Select(i => In($"m{i}", $"shop-{i:00}", $"Shop {i:00}"))]);

        var page = await _h.Service.QueryAsync(MessagesHarness.Session(), new MessageQuery(1, ChatId: "shop"), Ct);
        var one = await _h.Service.QueryAsync(MessagesHarness.Session(), new MessageQuery(1, ChatId: "shop-59"), Ct);

        Assert.Equal((60, ChatDirectory.MaxMatches), (page.ChatMatches, page.ChatsSearched));
        Assert.Equal(ChatDirectory.MaxMatches, page.TotalCount);
        Assert.Equal((1, 1), (one.ChatMatches, one.ChatsSearched));
        Assert.Equal("m59", Assert.Single(one.Items).ExternalMessageId);
    }

    [Fact]
    public async Task Cache_HoldsAtMostItsLimit_AndEvictedLinesAreReadAgain()
    {
        using var chats = new ChatDirectory(_h.Db, maxCachedChats: 10);
        chats.Note(MessagesHarness.MemberId, 9, [("a", null), ("b", null), ("c", null)]);
        Assert.Equal(4, chats.CachedChats); // a line counts its chats as they arrive (and one for itself)
        chats.Note(MessagesHarness.MemberId, 9, [("d", null)]);
        Assert.Equal(5, chats.CachedChats);
        for (var line = 1; line <= 4; line++)
            chats.Note(MessagesHarness.MemberId, line, Enumerable.Range(0, 4).Select(i => ($"l{line}-c{i}", (string?)null)));

        // 4 lines of 4 chats (5 units each) do not fit in 10: eviction runs in the background after an insert overflows.
        await LineBridge.Infrastructure.SandboxedApp.WaitUntilAsync(() => chats.CachedChats <= 10, "the chat cache is within its limit");
        for (var line = 1; line <= 4; line++)
        {
            Assert.Equal(4, chats.Find(MessagesHarness.MemberId, line, $"l{line}-").Total);
            Assert.True(chats.CachedChats <= 10, $"{chats.CachedChats} cached");
        }
    }

    [Fact]
    public void IdleLine_LeavesTheCache_SoAChatAnotherInstanceAddedIsFound()
    {
        using var chats = new ChatDirectory(_h.Db, idleTime: TimeSpan.FromMinutes(10), time: _h.Time);
        using var other = new ChatDirectory(_h.Db);
        chats.Note(MessagesHarness.MemberId, 1, [("order-1", "Order 1")]);
        other.Note(MessagesHarness.MemberId, 1, [("order-2", "Order 2")]);
        Assert.Equal(1, chats.Find(MessagesHarness.MemberId, 1, "order").Total); // cached: not seen yet

        _h.Time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(2, chats.Find(MessagesHarness.MemberId, 1, "order").Total);
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
