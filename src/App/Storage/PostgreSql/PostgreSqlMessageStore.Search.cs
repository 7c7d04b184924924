using Dapper;
using LineBridge.Components.Messages;

namespace LineBridge.Storage.PostgreSql;

// Reading the log. Pages are index range scans in (member, line[, chat | status], created_at, id) order. Text search
// matches search_text (the text lower-cased by the app) with LIKE '%term%', which the trigram GIN index
// (messages_search, pg_trgm) answers without reading the line's other messages; the total of a line (unfiltered, by
// status or by text) is counted up to MessageStore.SearchTotalCap + 1 and shown as "1000+" beyond, as on LiteDB; a
// chat's total is counted exactly.
public sealed partial class PostgreSqlMessageStore
{
    public LogPage QueryPage(string memberId, MessageQuery query)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var skip = Math.Max(0, query.Page) * pageSize;
        var search = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim().ToLowerInvariant();

        var where = "member_id = @memberId AND line = @line";
        if (query.ChatId is not null) where += " AND chat_id = @chatId";
        if (query.Status is not null) where += " AND status = @status";
        if (search is not null) where += " AND search_text LIKE @pattern";
        var parameters = new
        {
            memberId, line = query.LineId, chatId = query.ChatId, status = query.Status?.ToString(),
            pattern = search is null ? null : Contains(search), skip, take = pageSize,
            enough = MessageStore.CountUpTo(skip, pageSize),
        };

        using var c = _database.Open();
        var items = c.Query<MessageRecord>(
            $"SELECT {MessageColumns} FROM messages WHERE {where} ORDER BY created_at DESC, id DESC OFFSET @skip LIMIT @take",
            parameters).ToList();
        if (query.ChatId is not null)
        {
            return new LogPage(items, c.ExecuteScalar<int>($"SELECT count(*) FROM messages WHERE {where}", parameters));
        }
        // A line's total (all of it, one status, or a text search) stops counting past the cap: a count(*) over a
        // million-message line reads every index entry (about 100 ms), a LIMIT subquery reads cap + 1 of them.
        var found = c.ExecuteScalar<int>($"SELECT count(*) FROM (SELECT 1 FROM messages WHERE {where} LIMIT @enough) AS matches", parameters);
        return MessageStore.CappedPage(items, found, skip, pageSize);
    }

    public IReadOnlyList<MessageRecord> FindContaining(string memberId, int line, string? chatId, string find, int max)
    {
        using var c = _database.Open();
        // The lower-cased LIKE lets the trigram index find candidates; strpos keeps the match exact (case matters).
        return c.Query<MessageRecord>($"""
            SELECT {MessageColumns} FROM messages
            WHERE member_id = @memberId AND line = @line {(chatId is null ? "" : "AND chat_id = @chatId")}
              AND NOT delete_requested AND search_text LIKE @pattern AND strpos(text, @find) > 0
            ORDER BY created_at DESC, id DESC
            LIMIT @max
            """, new { memberId, line, chatId, pattern = Contains(SearchText(find)), find, max }).ToList();
    }

    /// <summary>A LIKE pattern matching <paramref name="term"/> anywhere, its own <c>%</c>, <c>_</c> and <c>\</c> taken literally.</summary>
    internal static string Contains(string term) =>
        "%" + term.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal) + "%";
}
