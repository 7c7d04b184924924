using System.Diagnostics;
using Npgsql;

namespace LineBridge.Bench;

/// <summary>
/// The storage's own limit beside the send API on PostgreSQL, measured in the same run on the same private cluster:
/// <c>clients</c> connections, each committing one transaction after another that inserts a message row (about the
/// size of a stored message) and its outbox row, with the server's default durability (<c>synchronous_commit=on</c>).
/// This is what issue 15 compares the send API against (its 8,792 / 11,492 tx/s at 8 / 32 clients).
/// </summary>
internal static class PostgreSqlLimit
{
    private const string Schema = """
        CREATE TABLE limit_messages (id text PRIMARY KEY, member_id text NOT NULL, chat_id text NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL);
        CREATE TABLE limit_outbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_id text NOT NULL, text text, accepted_at timestamptz NOT NULL);
        """;

    private const string Insert = """
        INSERT INTO limit_messages (id, member_id, chat_id, payload, created_at) VALUES (@id, 'member', 'chat', @payload, now());
        INSERT INTO limit_outbox (message_id, text, accepted_at) VALUES (@id, 'hello', now());
        """;

    /// <summary>Runs the load for <paramref name="seconds"/> and prints transactions/s and latency; returns transactions/s.</summary>
    public static async Task<double> MeasureAsync(string connectionString, int clients, int seconds)
    {
        await using var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = clients + 2 }.ConnectionString);
        await using (var create = source.CreateCommand(Schema)) await create.ExecuteNonQueryAsync();
        // A stored message's JSON payload is a few hundred bytes.
        var payload = new string('x', 400);
        var latencies = new List<double>[clients];
        var deadline = TimeSpan.FromSeconds(seconds);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var mine = latencies[c] = [];
            await using var connection = await source.OpenConnectionAsync();
            for (var n = 0; clock.Elapsed < deadline; n++)
            {
                var started = Stopwatch.GetTimestamp();
                await using (var tx = await connection.BeginTransactionAsync())
                await using (var insert = new NpgsqlCommand(Insert, connection, tx))
                {
                    insert.Parameters.AddWithValue("id", $"{c}-{n}");
                    insert.Parameters.AddWithValue("payload", payload);
                    await insert.ExecuteNonQueryAsync();
                    await tx.CommitAsync();
                }
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        var perSecond = all.Count / elapsed;
        Console.WriteLine($"  the storage's limit, same cluster, {clients} connections, a message row + its outbox row per transaction: " +
                          $"{perSecond:F0} tx/s, p99 {all[Math.Min(all.Count - 1, (int)(0.99 * all.Count))]:F1} ms");
        return perSecond;
    }
}
