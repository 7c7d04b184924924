using LineBridge.Components.Messages;

namespace LineBridge.Storage.Contracts;

/// <summary>What every provider's log reading and text search (<see cref="IMessageSearchStore"/>) must do.</summary>
public abstract class MessageSearchContract(StorageProvider provider)
{
    private static MessageQuery Query(string? text = null, string? chat = null, MessageStatus? status = null, int page = 0, int size = 10) =>
        new(1, chat, status, text, page, size);

    [Fact]
    public async Task Pages_AreNewestFirst_WithTotalsPerLineChatAndStatus_AndOnlyThePortalsOwn()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        store.Add([Sample.Message("a1", chat: "a"), Sample.Message("b1", chat: "b"), Sample.Message("a2", chat: "a")], "API", "API");
        store.Add([Sample.Message("x", memberId: "member-b"), Sample.Message("l2", line: 2)], "API", "API");
        Sample.Deliver(store);
        store.Add([Sample.Message("a3", chat: "a")], "API", "API");

        var line = store.QueryPage(Sample.MemberId, Query(size: 2));
        var second = store.QueryPage(Sample.MemberId, Query(size: 2, page: 1));
        var chat = store.QueryPage(Sample.MemberId, Query(chat: "a"));
        var queued = store.QueryPage(Sample.MemberId, Query(status: MessageStatus.Queued));
        var sentInChat = store.QueryPage(Sample.MemberId, Query(chat: "a", status: MessageStatus.Sent));

        Assert.Equal(["a3", "a2"], line.Items.Select(r => r.ExternalMessageId));
        Assert.Equal(4, line.Total);
        Assert.Equal(["b1", "a1"], second.Items.Select(r => r.ExternalMessageId));
        Assert.Equal(["a3", "a2", "a1"], chat.Items.Select(r => r.ExternalMessageId));
        Assert.Equal(3, chat.Total);
        Assert.Equal(["a3"], queued.Items.Select(r => r.ExternalMessageId));
        Assert.Equal(1, queued.Total);
        Assert.Equal(["a2", "a1"], sentInChat.Items.Select(r => r.ExternalMessageId));
        Assert.Equal(2, sentInChat.Total);
        Assert.False(line.TotalIsCapped);
    }

    [Fact]
    public async Task TextSearch_FindsSubstrings_IgnoringCase_InCyrillicToo_AndTakesWildcardsLiterally()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        store.Add([
            Sample.Message("ru", "Здравствуйте, ваш ЗАКАЗ №42 отправлен"),
            Sample.Message("en", "Your Order has shipped", chat: "c2"),
            Sample.Message("pct", "Discount 50% today"),
            Sample.Message("pct-like", "Discount 50x today"),
            Sample.Message("under", "file_name.txt"),
            Sample.Message("under-like", "fileXname.txt"),
        ], "API", "API");

        string[] Find(string text, string? chat = null) =>
            store.QueryPage(Sample.MemberId, Query(text, chat)).Items.Select(r => r.ExternalMessageId).ToArray();

        Assert.Equal(["ru"], Find("заказ"));
        Assert.Equal(["ru"], Find("  ЗДРАВСТВУЙТЕ "));
        Assert.Equal(["ru"], Find("ВаШ зАкАз"));
        Assert.Equal(["en"], Find("ORDER"));
        Assert.Equal(["en"], Find("order", chat: "c2"));
        Assert.Empty(Find("order", chat: "chat-1"));
        Assert.Equal(["pct"], Find("50%"));
        Assert.Equal(["under"], Find("file_"));
        Assert.Empty(Find("заказы"));
        Assert.Equal(1, store.QueryPage(Sample.MemberId, Query("заказ")).Total);
    }

    [Fact]
    public async Task TextSearch_FollowsEditsAndStatuses()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var id = store.Add([Sample.Message("m1", "первый текст"), Sample.Message("m2", "другой")], "API", "API")[0].Record.Id;
        store.Change(Sample.MemberId, id, ChangeKind.Edit, null, "второй текст", "API", "API");

        Assert.Empty(store.QueryPage(Sample.MemberId, Query("первый")).Items);
        Assert.Equal("m1", Assert.Single(store.QueryPage(Sample.MemberId, Query("второй")).Items).ExternalMessageId);
        Assert.Single(store.QueryPage(Sample.MemberId, Query("текст", status: MessageStatus.Queued)).Items);
        Assert.Empty(store.QueryPage(Sample.MemberId, Query("текст", status: MessageStatus.Sent)).Items);
    }

    [Fact]
    public async Task TextSearch_OverALine_CountsUpToTheCap_AndSaysThereAreMore()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var start = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var batch = 0; batch < 3; batch++)
        {
            store.Log.ImportDelivered(Enumerable.Range(0, 350).Select(i => Sample.Message($"m{batch}-{i}", $"Счёт {batch}-{i} оплачен")).ToList(),
                start.AddMinutes(batch));
        }
        store.Add([Sample.Message("newest", "СЧЁТ последний")], "API", "API");

        var first = store.QueryPage(Sample.MemberId, Query("счёт", size: 20));
        var beyond = store.QueryPage(Sample.MemberId, Query("счёт", page: 20, size: 50));
        var inChat = store.QueryPage(Sample.MemberId, Query("счёт", chat: "chat-1", size: 20));

        Assert.Equal((MessageStore.SearchTotalCap, true), (first.Total, first.TotalIsCapped));
        Assert.Equal("newest", first.Items[0].ExternalMessageId);
        Assert.Equal(20, first.Items.Count);
        // Past the cap, counting goes one beyond the page: 1,051 matches, the page ends at 1,050, so "1050+".
        Assert.True(beyond.TotalIsCapped);
        Assert.Equal(1050, beyond.Total);
        Assert.Equal(50, beyond.Items.Count);
        Assert.Equal(1051, inChat.Total);   // one chat is counted exactly
    }

    [Fact]
    public async Task ALinesTotal_AndAStatusTotal_StopAtTheCap_WhileAChatIsCountedExactly()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var start = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        store.Log.ImportDelivered(Enumerable.Range(0, 600).Select(i => Sample.Message($"a{i}", chat: "a")).ToList(), start);
        store.Log.ImportDelivered(Enumerable.Range(0, 450).Select(i => Sample.Message($"b{i}", chat: "b")).ToList(), start.AddMinutes(1));

        var line = store.QueryPage(Sample.MemberId, Query(size: 25));
        var lastWithinTheCap = store.QueryPage(Sample.MemberId, Query(page: 39, size: 25));
        var sent = store.QueryPage(Sample.MemberId, Query(status: MessageStatus.Sent, size: 25));
        var chat = store.QueryPage(Sample.MemberId, Query(chat: "a", size: 25));
        var pastTheCap = store.QueryPage(Sample.MemberId, Query(page: 40, size: 25));
        var beyond = store.QueryPage(Sample.MemberId, Query(page: 41, size: 25));

        // 1,050 messages: the line and its "sent" are shown as "1000+", not counted out (issue 15).
        Assert.Equal((MessageStore.SearchTotalCap, true), (line.Total, line.TotalIsCapped));
        Assert.Equal(25, line.Items.Count);
        Assert.Equal("b449", line.Items[0].ExternalMessageId);
        Assert.Equal((MessageStore.SearchTotalCap, true), (lastWithinTheCap.Total, lastWithinTheCap.TotalIsCapped));
        Assert.Equal((MessageStore.SearchTotalCap, true), (sent.Total, sent.TotalIsCapped));
        Assert.Equal((600, false), (chat.Total, chat.TotalIsCapped));
        // A page past the cap is still served and counted one beyond its end: more follow, until the last page.
        Assert.Equal((1025, true), (pastTheCap.Total, pastTheCap.TotalIsCapped));
        Assert.Equal("a25", pastTheCap.Items[^1].ExternalMessageId);
        Assert.Equal((1050, false), (beyond.Total, beyond.TotalIsCapped));
        Assert.Equal(25, beyond.Items.Count);
    }

    [Fact]
    public async Task FindContaining_MatchesCaseExactly_NewestFirst_AndSkipsDeletedMessages()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var added = store.Add([
            Sample.Message("m1", "Цена: 100"), Sample.Message("m2", "цена: 200"), Sample.Message("m3", "Цена: 300", chat: "c2"),
            Sample.Message("m4", "Цена: 400"),
        ], "API", "API");
        store.Change(Sample.MemberId, added[3].Record.Id, ChangeKind.Delete, null, null, "API", "API");

        var line = store.FindContaining(Sample.MemberId, 1, null, "Цена", 10);
        var chat = store.FindContaining(Sample.MemberId, 1, "chat-1", "Цена", 10);
        var one = store.FindContaining(Sample.MemberId, 1, null, "Цена", 1);

        Assert.Equal(["m3", "m1"], line.Select(r => r.ExternalMessageId));
        Assert.Equal(["m1"], chat.Select(r => r.ExternalMessageId));
        Assert.Equal(["m3"], one.Select(r => r.ExternalMessageId));
        Assert.Empty(store.FindContaining("member-b", 1, null, "Цена", 10));
    }
}

public sealed class MessageSearchOnLiteDb() : MessageSearchContract(StorageProvider.LiteDb);

public sealed class MessageSearchOnPostgreSql() : MessageSearchContract(StorageProvider.PostgreSql);
