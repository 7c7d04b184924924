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
