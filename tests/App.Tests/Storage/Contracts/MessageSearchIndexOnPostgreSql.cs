using Dapper;

namespace LineBridge.Storage.Contracts;

/// <summary>
/// Text search on PostgreSQL is served by the trigram index (pg_trgm) on the lower-cased text, Cyrillic included, so
/// it does not read a line's every message; the text and its index live in the narrow table <c>message_search</c>
/// (schema v7), which follows every message's insert and edit.
/// </summary>
public sealed class MessageSearchIndexOnPostgreSql
{
    [Fact]
    public async Task ASubstringSearch_CanBeAnsweredFromTheTrigramIndex_InCyrillicToo()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var store = backend.Messages();
        store.Add([Sample.Message("m1", "Ваш ЗАКАЗ отправлен"), Sample.Message("m2", "Your order has shipped")], "API", "API");
        using var connection = backend.Postgres!.Open();

        // The database's locale splits Cyrillic into trigrams (a locale that did not would leave the index nothing to find).
        Assert.True(connection.ExecuteScalar<int>("SELECT cardinality(show_trgm('заказ'))") >= 3);
        Assert.Equal("ваш заказ отправлен", connection.ExecuteScalar<string>("SELECT search_text FROM message_search ORDER BY id LIMIT 1"));
        using var transaction = connection.BeginTransaction();
        connection.Execute("SET LOCAL enable_seqscan = off", transaction: transaction);
        var plan = string.Join('\n', connection.Query<string>(
            "EXPLAIN SELECT id FROM message_search WHERE search_text LIKE @pattern", new { pattern = PostgreSql.PostgreSqlMessageStore.Contains("заказ") }, transaction));

        Assert.Contains("message_search_text", plan);
    }

    [Fact]
    public async Task OnePortalsOutboxItems_CanBeReadFromTheMemberIndex()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        using var connection = backend.Postgres!.Open();
        using var transaction = connection.BeginTransaction();
        connection.Execute("SET LOCAL enable_seqscan = off", transaction: transaction);
        var plan = string.Join('\n', connection.Query<string>(
            "EXPLAIN SELECT id FROM message_outbox WHERE member_id = @memberId ORDER BY id LIMIT 10", new { memberId = Sample.MemberId }, transaction));

        Assert.Contains("message_outbox_member", plan);
    }
}
