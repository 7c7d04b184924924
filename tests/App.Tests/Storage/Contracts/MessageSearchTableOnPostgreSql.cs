using Dapper;
using LineBridge.Components.Messages;
using LineBridge.Replies;

namespace LineBridge.Storage.Contracts;

/// <summary>
/// PostgreSQL searches a narrow table beside <c>messages</c> (<c>message_search</c>, schema v7, issue 15): every
/// message has exactly one search row, written with the message and changed with its text in the same transaction,
/// and gone with the message.
/// </summary>
public sealed class MessageSearchTableOnPostgreSql
{
    private static readonly DateTime Start = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    // Messages whose search row is missing, left over, or out of step with the message (line, order); the text is
    // compared by the test, lower-cased as the app does it.
    private const string OutOfStep = """
        SELECT count(*) FROM messages m FULL JOIN message_search s ON s.id = m.id
        WHERE m.id IS NULL OR s.id IS NULL OR s.member_id <> m.member_id OR s.line <> m.line OR s.created_at <> m.created_at
        """;

    private static void AssertInStep(Npgsql.NpgsqlConnection connection)
    {
        Assert.Equal(0, connection.ExecuteScalar<int>(OutOfStep));
        foreach (var (text, searchText) in connection.Query<(string, string)>(
                     "SELECT m.text, s.search_text FROM messages m JOIN message_search s ON s.id = m.id"))
        {
            Assert.Equal(text.ToLowerInvariant(), searchText);
        }
    }

    [Fact]
    public async Task EveryWayAMessageIsWrittenOrEdited_KeepsItsSearchRowInStep_AndADeliveryLeavesItAlone()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var store = backend.Messages();
        using var connection = backend.Postgres!.Open();

        var added = store.Add([Sample.Message("m1", "Первый ТЕКСТ"), Sample.Message("m2", "Second text", chat: "c2")], "API", "API");
        store.Add([Sample.Message("m1", "Первый ТЕКСТ")], "API", "API");   // a repeated send adds nothing
        store.Log.ImportDelivered([Sample.Message("old", "Imported INVOICE")], Start);
        var reply = store.AddReply(Sample.MemberId, "linebridge", Reply(ReplyChange.Created, "Добрый день"), "Operator", Delivery);
        AssertInStep(connection);
        Assert.Equal(4, connection.ExecuteScalar<int>("SELECT count(*) FROM message_search"));

        var before = SearchRowVersion(connection, added[1].Record.Id.ToString());
        Sample.Deliver(store);
        Assert.Equal(before, SearchRowVersion(connection, added[1].Record.Id.ToString()));   // a status change writes no search row

        store.Change(Sample.MemberId, added[0].Record.Id, ChangeKind.Edit, null, "Исправленный текст", "API", "API");
        store.ChangeReply(Sample.MemberId, Reply(ReplyChange.Updated, "Добрый вечер"), "Operator", Delivery);
        store.Change(Sample.MemberId, added[1].Record.Id, ChangeKind.Delete, null, null, "API", "API");
        AssertInStep(connection);

        string[] Find(string text) =>
            store.QueryPage(Sample.MemberId, new MessageQuery(1, Text: text)).Items.Select(r => r.ExternalMessageId).ToArray();
        Assert.Empty(Find("первый"));
        Assert.Equal([added[0].Record.ExternalMessageId], Find("ИСПРАВЛЕННЫЙ"));
        Assert.Empty(Find("день"));
        Assert.Equal([reply.Record.ExternalMessageId], Find("вечер"));
        Assert.Equal(["old"], Find("invoice"));
    }

    [Fact]
    public async Task ADeletedMessage_TakesItsSearchRowWithIt()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var store = backend.Messages();
        store.Log.ImportDelivered([Sample.Message("gone", "Счёт 1"), Sample.Message("kept", "Счёт 2")], Start);
        using var connection = backend.Postgres!.Open();

        connection.Execute("DELETE FROM message_versions WHERE message_id IN (SELECT id FROM messages WHERE external_message_id = 'gone')");
        connection.Execute("DELETE FROM messages WHERE external_message_id = 'gone'");

        AssertInStep(connection);
        var found = store.QueryPage(Sample.MemberId, new MessageQuery(1, Text: "счёт"));
        Assert.Equal(["kept"], found.Items.Select(r => r.ExternalMessageId));
        Assert.Equal(1, found.Total);
    }

    [Fact]
    public async Task ALineSearch_FindsTheNewestMatches_WithinTheNewestRows_BeyondThem_AndOnlyAmongTheOldest()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var store = backend.Messages();
        void Import(int line, string prefix, int count, string text, int minute) => store.Log.ImportDelivered(
            Enumerable.Range(0, count).Select(i => Sample.Message($"{prefix}{i}", $"{text} {i}", line: line)).ToList(), Start.AddMinutes(minute));
        // With pages of one, the store first walks the newest 200 rows, then (more matches than the cap) 4,000.
        Import(1, "recent", 150, "Счёт", 0);            // line 1: matches among the newest rows
        Import(1, "other", 100, "hello", 1);
        Import(2, "rare", 1, "Квитанция", 0);           // line 2: one match older than the first walk
        Import(2, "other", 300, "hello", 1);
        Import(3, "old", 1_001, "Счёт", 0);             // line 3: many matches, older than the first walk
        Import(3, "other", 300, "hello", 1);
        Import(4, "oldest", 1_001, "Счёт", 0);          // line 4: many matches, older than both walks
        Import(4, "other", 4_000, "hello", 1);

        LogPage Find(int line, string text, int page = 0) => store.QueryPage(Sample.MemberId, new MessageQuery(line, Text: text, Page: page, PageSize: 1));
        string First(LogPage page) => Assert.Single(page.Items).ExternalMessageId;

        Assert.Equal("recent149", First(Find(1, "счёт")));
        Assert.Equal("recent148", First(Find(1, "счёт", page: 1)));
        Assert.Equal((150, false), (Find(1, "счёт").Total, Find(1, "счёт").TotalIsCapped));
        Assert.Equal(("rare0", 1), (First(Find(2, "квитанция")), Find(2, "квитанция").Total));
        Assert.Empty(Find(2, "квитанция", page: 1).Items);
        Assert.Equal("old1000", First(Find(3, "счёт")));
        Assert.Equal("old999", First(Find(3, "счёт", page: 1)));
        Assert.Equal((MessageStore.SearchTotalCap, true), (Find(3, "счёт").Total, Find(3, "счёт").TotalIsCapped));
        Assert.Equal("oldest1000", First(Find(4, "счёт")));
        Assert.Equal("oldest0", First(Find(4, "счёт", page: 1000)));
        Assert.Empty(Find(4, "счёт", page: 1001).Items);
    }

    private static string SearchRowVersion(Npgsql.NpgsqlConnection connection, string id) =>
        connection.ExecuteScalar<string>("SELECT xmin::text FROM message_search WHERE id = @id", new { id })!;

    private static ReplyEvent Reply(ReplyChange change, string text) => new()
    {
        Change = change, Line = 1, ImChatId = "77", ImMessageId = "901", ChatId = "chat-1", Text = text, OperatorId = "5",
    };

    private static ReplyDelivery Delivery(MessageRecord record) => new()
    {
        EventId = $"{record.Id}-v{record.Version}", EventType = WebhookEventTypes.MessageCreated, MemberId = record.MemberId,
        Connector = record.Connector, Line = record.Line, MessageId = record.Id, Version = record.Version, Body = "{}",
    };
}
