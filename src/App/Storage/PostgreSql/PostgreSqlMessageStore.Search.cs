using Dapper;
using LineBridge.Components.Messages;

namespace LineBridge.Storage.PostgreSql;

// Reading the log. Pages are index range scans in (member, line[, chat | status], created_at, id) order. Text search
// matches message_search.search_text (the text lower-cased by the app) with LIKE '%term%', which the trigram GIN index
// (message_search_text, pg_trgm) answers without reading the line's other messages; the total of a line (unfiltered,
// by status or by text) is counted up to MessageStore.SearchTotalCap + 1 and shown as "1000+" beyond, as on LiteDB; a
// chat's total is counted exactly.
//
// A line-wide text search (issue 15) reads only the narrow table: its page is the newest matches' ids (the planner
// walks message_search_line_time newest first for a common term, or rechecks the trigram index's few candidates for a
// rare one), joined back to messages for the rows it shows; its capped count and its page run side by side on two
// connections, so a cold search waits for the slower of the two, not for their sum. The count's candidates are
// rechecked with prefetching (effective_io_concurrency, for its statement only): its ~1,000 heap reads overlap.
public sealed partial class PostgreSqlMessageStore
{
    // How many heap pages a bitmap scan of the search asks the kernel for ahead of reading them (PostgreSQL's default
    // is 1, for a single spinning disk). 64 overlaps the rechecks' random reads on an SSD or a network volume.
    internal const int SearchReadAhead = 64;

    public LogPage QueryPage(string memberId, MessageQuery query)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var skip = Math.Max(0, query.Page) * pageSize;
        var search = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim().ToLowerInvariant();
        var parameters = new
        {
            memberId, line = query.LineId, chatId = query.ChatId, status = query.Status?.ToString(),
            pattern = search is null ? null : Contains(search), skip, take = pageSize,
            enough = MessageStore.CountUpTo(skip, pageSize),
        };
        if (search is not null && query.ChatId is null && query.Status is null)
        {
            return LineSearch(parameters, skip, pageSize);
        }

        var where = "member_id = @memberId AND line = @line";
        if (query.ChatId is not null) where += " AND chat_id = @chatId";
        if (query.Status is not null) where += " AND status = @status";
        if (search is not null) where += " AND " + Matches;

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

    // A message of the outer query (messages, unqualified) whose search row holds the pattern: with a chat or a status
    // the planner may start from that filter's index on messages and check each row's search text by its key.
    private const string Matches =
        "EXISTS (SELECT 1 FROM message_search s WHERE s.id = messages.id AND s.search_text LIKE @pattern)";

    private const string LineMatches = "member_id = @memberId AND line = @line AND search_text LIKE @pattern";

    /// <summary>A line-wide text search's page: the newest matching ids from the narrow table, then their messages.</summary>
    internal const string LineSearchPage = $"""
        SELECT {MessageColumns} FROM messages
        WHERE id IN (SELECT id FROM message_search WHERE {LineMatches} ORDER BY created_at DESC, id DESC OFFSET @skip LIMIT @take)
        ORDER BY created_at DESC, id DESC
        """;

    /// <summary>A line-wide text search's total, counted up to <c>@enough</c> in the narrow table.</summary>
    internal const string LineSearchCount =
        $"SELECT count(*) FROM (SELECT 1 FROM message_search WHERE {LineMatches} LIMIT @enough) AS matches";

    private LogPage LineSearch(object parameters, int skip, int pageSize)
    {
        // The count on a pool thread (its own connection) while this one reads the page.
        var counting = Task.Run(() =>
        {
            using var c = _database.Open();
            using var tx = c.BeginTransaction();
            c.Execute($"SET LOCAL effective_io_concurrency = {SearchReadAhead}", transaction: tx);
            var found = c.ExecuteScalar<int>(LineSearchCount, parameters, tx);
            tx.Commit();
            return found;
        });
        List<MessageRecord> items;
        using (var c = _database.Open())
        {
            items = c.Query<MessageRecord>(LineSearchPage, parameters).ToList();
        }
        return MessageStore.CappedPage(items, counting.GetAwaiter().GetResult(), skip, pageSize);
    }

    public IReadOnlyList<MessageRecord> FindContaining(string memberId, int line, string? chatId, string find, int max)
    {
        using var c = _database.Open();
        // The lower-cased LIKE lets the trigram index find candidates; strpos keeps the match exact (case matters).
        return c.Query<MessageRecord>($"""
            SELECT {MessageColumns} FROM messages
            WHERE member_id = @memberId AND line = @line {(chatId is null ? "" : "AND chat_id = @chatId")}
              AND NOT delete_requested AND {Matches} AND strpos(text, @find) > 0
            ORDER BY created_at DESC, id DESC
            LIMIT @max
            """, new { memberId, line, chatId, pattern = Contains(SearchText(find)), find, max }).ToList();
    }

    /// <summary>A LIKE pattern matching <paramref name="term"/> anywhere, its own <c>%</c>, <c>_</c> and <c>\</c> taken literally.</summary>
    internal static string Contains(string term) =>
        "%" + term.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal) + "%";
}
