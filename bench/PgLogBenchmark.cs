using System.Diagnostics;
using LineBridge.Components.Messages;
using LineBridge.Storage;
using LineBridge.Storage.PostgreSql;
using Npgsql;

namespace LineBridge.Bench;

/// <summary>
/// <c>pg-list</c>: the message list at scale on PostgreSQL. A private cluster (<see cref="PrivatePostgres"/>) gets the
/// app's schema (its migrations), then one line of <c>--messages</c> delivered messages written by the database itself
/// (one <c>INSERT ... SELECT generate_series</c>, the same shape as <c>seed</c> for LiteDB: 20,000 chats, 4-15 words,
/// every 200th with "invoice"); the line's secondary indexes are dropped for the load and rebuilt from their own
/// definitions, then the table is vacuumed and analysed. Each of the UI's queries is then timed through
/// <see cref="IMessageLog"/> cold (right after a server restart with the cluster's files evicted from the OS page
/// cache) and warm (median of the next five).
/// </summary>
internal static class PgLogBenchmark
{
    private static readonly string[] Words =
    [
        "hello", "please", "order", "delivery", "thanks", "status", "today", "tomorrow", "price", "address",
        "question", "payment", "call", "me", "back", "where", "is", "my", "parcel", "can", "you", "help", "with",
        "the", "a", "refund", "size", "colour", "available", "store", "open", "hours", "weekend", "support",
    ];

    public static async Task<int> RunAsync(int count)
    {
        await using var cluster = await PrivatePostgres.StartAsync();
        var connectionString = await cluster.CreateDatabaseAsync("linebridge_list");
        using (var database = new PostgreSqlDatabase(connectionString)) database.Migrate();
        Console.WriteLine($"PostgreSQL {await ScalarAsync<string>(connectionString, "SHOW server_version")} (private cluster, fsync on), " +
                          $"shared_buffers {await ScalarAsync<string>(connectionString, "SHOW shared_buffers")}");

        var seeding = Stopwatch.StartNew();
        await SeedAsync(connectionString, count);
        Console.WriteLine($"seeded {count:N0} messages in {seeding.Elapsed.TotalSeconds:F0} s; table + indexes " +
                          $"{await ScalarAsync<long>(connectionString, "SELECT pg_total_relation_size('messages') / 1048576"):N0} MB, search table + indexes " +
                          $"{await ScalarAsync<long>(connectionString, "SELECT pg_total_relation_size('message_search') / 1048576"):N0} MB");

        using var pg = new PostgreSqlDatabase(connectionString);
        var store = new PostgreSqlMessageStore(pg, TimeProvider.System);
        var log = BenchServices.MessageLog(new MessageStore(store, store, store, store));
        var session = BenchServices.Session(LogBenchmark.MemberId);
        var line = LogBenchmark.Line;
        var chat = (await log.QueryAsync(session, new MessageQuery(line))).Items[0].ChatId;

        Console.WriteLine($"{"query",-40} {"cold",10} {"warm median",14}   rows (total)");
        // After a restart the first query would also pay for new connections (authentication, the backend's catalog
        // cache); the app keeps its connections pooled, so two (a text search uses two side by side) are opened
        // before each cold query.
        Task Connect()
        {
            pg.DataSource.Clear();   // the pooled connections died with the server
            using var first = pg.Open();
            using var second = pg.Open();
            return Task.CompletedTask;
        }
        (string Name, Func<Task<MessagePage>> Query)[] queries =
        [
            ("first page (25, newest first)", () => log.QueryAsync(session, new MessageQuery(line))),
            ($"chat filter ({chat})", () => log.QueryAsync(session, new MessageQuery(line, ChatId: chat))),
            ("status filter (sent)", () => log.QueryAsync(session, new MessageQuery(line, Status: MessageStatus.Sent))),
            ("text search \"invoice\"", () => log.QueryAsync(session, new MessageQuery(line, Text: "invoice"))),
            ("text search \"invoice 99\" (rare)", () => log.QueryAsync(session, new MessageQuery(line, Text: "invoice 99"))),
            ("text search in a chat", () => log.QueryAsync(session, new MessageQuery(line, ChatId: chat, Text: "order"))),
        ];
        // Each query once before any is timed: "cold" is the data (server restarted, files evicted), not the process
        // (JIT, Dapper's reader for each new statement), which a running app has paid long before.
        foreach (var (_, query) in queries) await query();
        foreach (var (name, query) in queries) await MeasureAsync(cluster, Connect, name, query);

        // Where a cold text search's time goes: the store's two statements for "invoice", each after its own cold restart.
        await ExplainColdAsync(cluster, connectionString, "page (ids from the newest 5,000 rows)", PostgreSqlMessageStore.LineSearchWindow, candidatesOnly: false);
        await ExplainColdAsync(cluster, connectionString, "capped count", PostgreSqlMessageStore.LineSearchCount, candidatesOnly: true);
        return 0;
    }

    private static async Task SeedAsync(string connectionString, int count)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        async Task Run(string sql, params (string Name, object Value)[] parameters)
        {
            await using var command = new NpgsqlCommand(sql, c) { CommandTimeout = 0 };
            foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
            await command.ExecuteNonQueryAsync();
        }
        // The secondary indexes as the migrations made them; rebuilt in one pass each after the load.
        var indexes = new List<string>();
        await using (var read = new NpgsqlCommand("""
            SELECT i.indexdef FROM pg_indexes i
            WHERE i.tablename IN ('messages', 'message_search') AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)
            """, c))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) indexes.Add(reader.GetString(0));
        }
        foreach (var definition in indexes) await Run("DROP INDEX " + definition.Split(' ')[2]);
        await Run("SET maintenance_work_mem = '256MB'");
        await Run("SELECT setseed(0.42)");
        // Ids are ObjectId-shaped (24 hex digits) and grow with time, as the app's do. "+ 0 * n" and "+ 0 * k" tie the
        // word picks to their row and word, so PostgreSQL draws them anew for each instead of once for all.
        await Run("""
            INSERT INTO messages (id, member_id, connector, line, chat_id, external_message_id, external_user_id,
                external_user_name, payload, text, has_files, status, delivered, delete_requested, version,
                created_at, updated_at, direction)
            SELECT lpad(to_hex(n), 24, '0'), @member, 'linebridge', @line, chat, 'm-' || n, 'user-' || chat, 'Customer',
                json_build_object('user', json_build_object('id', 'user-' || chat, 'name', 'Customer'),
                    'message', json_build_object('id', 'm-' || n, 'text', body), 'chat', json_build_object('id', chat))::text,
                body, false, 'Sent', true, false, 1, at, at, 'Incoming'
            FROM (
                SELECT n, 'chat-' || floor(random() * 20000)::int AS chat, now() - (@count - n) * interval '1 second' AS at,
                    (SELECT string_agg(w.words[1 + floor(random() * cardinality(w.words))::int + 0 * k], ' ')
                     FROM generate_series(1, 4 + floor(random() * 12)::int + 0 * n) AS k) ||
                    CASE WHEN n % 200 = 0 THEN ' invoice ' || n ELSE '' END AS body
                FROM generate_series(0, @count - 1) AS n, (SELECT @words::text[] AS words) AS w
            ) AS generated
            """, ("member", LogBenchmark.MemberId), ("line", LogBenchmark.Line), ("count", count), ("words", Words));
        // Each message's search row, as the store writes it beside the message (schema v7), in time order.
        await Run("""
            INSERT INTO message_search (id, member_id, line, created_at, search_text)
            SELECT id, member_id, line, created_at, lower(text) FROM messages ORDER BY created_at, id
            """);
        foreach (var definition in indexes) await Run(definition);
        await Run("VACUUM ANALYZE messages");
        await Run("VACUUM ANALYZE message_search");
    }

    private static async Task MeasureAsync(PrivatePostgres cluster, Func<Task> connect, string name, Func<Task<MessagePage>> query)
    {
        await cluster.RestartColdAsync();
        await connect();
        var times = new List<double>();
        MessagePage? page = null;
        for (var i = 0; i < 6; i++)
        {
            var sw = Stopwatch.StartNew();
            page = await query();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        // The first run after the restart meets empty shared buffers and an evicted page cache.
        var warm = times.Skip(1).Order().ToList();
        Console.WriteLine($"{name,-40} {times[0],7:F1} ms {warm[warm.Count / 2],11:F1} ms   " +
                          $"{page!.Items.Count} ({(page.TotalIsCapped ? $"{page.TotalCount:N0}+" : page.TotalCount.ToString("N0"))})");
    }

    private static async Task ExplainColdAsync(PrivatePostgres cluster, string connectionString, string name, string sql, bool candidatesOnly)
    {
        await cluster.RestartColdAsync();
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await using (var setting = new NpgsqlCommand("SET LOCAL track_io_timing = on" +
                         (candidatesOnly ? "; " + PostgreSqlMessageStore.CandidatesOnly : ""), c, tx))
        {
            await setting.ExecuteNonQueryAsync();
        }
        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + sql, c, tx);
        explain.Parameters.AddWithValue("MemberId", LogBenchmark.MemberId);
        explain.Parameters.AddWithValue("Line", LogBenchmark.Line);
        explain.Parameters.AddWithValue("Pattern", PostgreSqlMessageStore.Contains("invoice"));
        explain.Parameters.AddWithValue("Skip", 0);
        explain.Parameters.AddWithValue("Take", 25);
        explain.Parameters.AddWithValue("Window", 5_000);
        explain.Parameters.AddWithValue("Enough", MessageStore.CountUpTo(0, 25));
        Console.WriteLine($"EXPLAIN (ANALYZE, BUFFERS), cold, text search \"invoice\", {name}:");
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync()) Console.WriteLine("  " + reader.GetString(0));
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
