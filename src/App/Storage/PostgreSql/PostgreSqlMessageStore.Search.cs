using Dapper;
using LineBridge.Components.Messages;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

// Reading the log. Pages are index range scans in (member, line[, chat | status], created_at, id) order. Text search
// matches message_search.search_text (the text lower-cased by the app) with LIKE '%term%', which the trigram GIN index
// (message_search_text, pg_trgm) answers without reading the line's other messages; the total of a line (unfiltered,
// by status or by text) is counted up to MessageStore.SearchTotalCap + 1 and shown as "1000+" beyond, as on LiteDB; a
// chat's total is counted exactly.
//
// A line-wide text search (issue 15) reads only the narrow table message_search and joins back to messages only the
// rows its page shows. The trigram index is lossy for LIKE, so each candidate row is read to recheck it, and cold every
// such read is a random read: a page and a count that rechecked every candidate of a common term read thousands of
// pages. So the page and its capped count go side by side, on two connections:
// - the count (up to the cap + 1) rechecks the index's candidates, with their heap pages read ahead
//   (effective_io_concurrency, for its statement only): ~1,000 overlapping reads for a common term, a few for a rare one;
// - the page walks the line's newest rows (message_search_line_time, newest first) up to a window, stopping as soon
//   as it has the page: the newest 25 matches of a term in 1 of 200 messages are among the newest 5,000 rows, about
//   150 pages of the narrow table. When the count answers first with a total within the cap (a rare term), the page
//   rechecks every candidate instead (the count has just read them) and the window is left to finish on its own.
//   When the window falls short, the count's answer decides: a total within the cap that the window already holds is
//   the page; a term found more often than the cap walks a 20 times wider window; otherwise every candidate.
// The plans are the store's choice, not the planner's: its estimate for LIKE '%term%' comes from a sample (a term in
// 1 of 200 messages was estimated at 100 or at 10,000 rows by two ANALYZE runs of the same data), and the wrong plan
// is 100 times slower (walking a whole line for a rare term, or rechecking 5,000 candidates for a common one).
public sealed partial class PostgreSqlMessageStore
{
    // How many heap pages a bitmap scan of the search asks the kernel for ahead of reading them (PostgreSQL's default
    // is 1, for a single spinning disk). 64 overlaps the rechecks' random reads on an SSD or a network volume.
    internal const int SearchReadAhead = 64;

    // The first window: the newest 200 rows per result wanted (5,000 for a first page of 25), so a term in 1 of 200
    // of the line's recent messages fills its page from the window; at most 20,000 rows (~600 pages), and the wider
    // one at most 200,000, so a deep page of a term whose matches are old ends in the candidates' recheck instead.
    private const int WindowRowsPerResult = 200;
    private const int MaxWindow = 20_000;
    private const int MaxWiderWindow = 200_000;

    public LogPage QueryPage(string memberId, MessageQuery query)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var skip = Math.Max(0, query.Page) * pageSize;
        var search = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim().ToLowerInvariant();
        if (search is not null && query.ChatId is null && query.Status is null)
        {
            return LineSearch(new LineSearchQuery(memberId, query.LineId, Contains(search), skip, pageSize));
        }
        var parameters = new
        {
            memberId, line = query.LineId, chatId = query.ChatId, status = query.Status?.ToString(),
            pattern = search is null ? null : Contains(search), skip, take = pageSize,
            enough = MessageStore.CountUpTo(skip, pageSize),
        };

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

    /// <summary>A line-wide text search: the line, the LIKE pattern, and the page (<see cref="Enough"/>: what the total is counted up to).</summary>
    internal sealed record LineSearchQuery(string MemberId, int Line, string Pattern, int Skip, int Take)
    {
        public int Enough => MessageStore.CountUpTo(Skip, Take);
    }

    /// <summary>The page's ids from the newest <c>@Window</c> rows of the line, newest first (stops once it has the page).</summary>
    internal const string LineSearchWindow = """
        SELECT id FROM (
            SELECT id, created_at, search_text FROM message_search WHERE member_id = @MemberId AND line = @Line
            ORDER BY created_at DESC, id DESC LIMIT @Window) AS newest
        WHERE search_text LIKE @Pattern
        ORDER BY created_at DESC, id DESC OFFSET @Skip LIMIT @Take
        """;

    /// <summary>The page's ids from every candidate of the trigram index (run with <see cref="CandidatesOnly"/>).</summary>
    internal const string LineSearchAll = """
        SELECT id FROM message_search WHERE member_id = @MemberId AND line = @Line AND search_text LIKE @Pattern
        ORDER BY created_at DESC, id DESC OFFSET @Skip LIMIT @Take
        """;

    /// <summary>The line's matches counted up to <c>@Enough</c> (run with <see cref="CandidatesOnly"/>).</summary>
    internal const string LineSearchCount = """
        SELECT count(*) FROM (
            SELECT 1 FROM message_search WHERE member_id = @MemberId AND line = @Line AND search_text LIKE @Pattern
            LIMIT @Enough) AS matches
        """;

    /// <summary>
    /// For one transaction: read the trigram index's candidates (a bitmap scan, never a walk of the line in an index's
    /// order, whatever the estimate) and ask for their heap pages ahead.
    /// </summary>
    internal static readonly string CandidatesOnly = $"""
        SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off;
        SET LOCAL effective_io_concurrency = {SearchReadAhead}
        """;

    private LogPage LineSearch(LineSearchQuery q)
    {
        // The count and the first window side by side, each on its own connection (pool threads).
        var counting = Task.Run(() =>
        {
            using var c = _database.Open();
            return Candidates(c, tx => c.ExecuteScalar<int>(LineSearchCount, q, tx));
        });
        var window = Math.Min(WindowRowsPerResult * (q.Skip + q.Take), MaxWindow);
        var walking = Task.Run(() =>
        {
            using var c = _database.Open();
            return Window(c, q, window);
        });
        Task.WaitAny(counting, walking);

        using var connection = _database.Open();
        List<string> All() => Candidates(connection, tx => connection.Query<string>(LineSearchAll, q, tx).ToList());
        List<string> ids;
        if (!walking.IsCompleted && counting.GetAwaiter().GetResult() < q.Enough)
        {
            // A rare term: the count has just read every candidate, so rechecking them for the page costs no more reads
            // (the window, left to finish on its own, would walk all its rows without filling the page).
            _ = walking.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);   // observed, not awaited
            ids = counting.Result == 0 ? [] : All();
        }
        else
        {
            ids = walking.GetAwaiter().GetResult();
            if (ids.Count < q.Take)
            {
                var found = counting.GetAwaiter().GetResult();
                if (found >= q.Enough)
                {
                    // More matches than the page's end, not among the newest rows: a wider window, then all candidates.
                    ids = Window(connection, q, Math.Min(window * 20, MaxWiderWindow));
                    if (ids.Count < q.Take) ids = All();
                }
                else if (ids.Count != Math.Clamp(found - q.Skip, 0, q.Take))
                {
                    ids = All();
                }
            }
        }
        var items = ids.Count == 0 ? [] : connection.Query<MessageRecord>(
            $"SELECT {MessageColumns} FROM messages WHERE id = ANY(@ids) ORDER BY created_at DESC, id DESC", new { ids = ids.ToArray() }).ToList();
        return MessageStore.CappedPage(items, counting.GetAwaiter().GetResult(), q.Skip, q.Take);
    }

    private static List<string> Window(NpgsqlConnection c, LineSearchQuery q, int window) =>
        c.Query<string>(LineSearchWindow, new { q.MemberId, q.Line, q.Pattern, q.Skip, q.Take, Window = window }).ToList();

    private static T Candidates<T>(NpgsqlConnection c, Func<NpgsqlTransaction, T> read)
    {
        using var tx = c.BeginTransaction();
        c.Execute(CandidatesOnly, transaction: tx);
        var result = read(tx);
        tx.Commit();
        return result;
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
