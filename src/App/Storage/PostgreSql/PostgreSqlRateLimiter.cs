using System.Threading.RateLimiting;
using LineBridge.Bitrix24;
using LineBridge.Install;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// A portal's REST budget shared by every instance on the database: one row per portal in <c>portal_rate_budgets</c>
/// holding the bucket's <em>theoretical arrival time</em> (GCRA, the generic cell rate algorithm). Each call reserves
/// the next slot in one atomic statement (the row lock orders concurrent instances) and then waits, locally, until its
/// slot is due: <c>next_free_at = max(next_free_at, now) + 1/rate</c>, due at <c>next_free_at - burst/rate</c>. So at
/// most <see cref="PortalBudget.Burst"/> calls go at once and then <see cref="PortalBudget.Rate"/> per second, across
/// all instances together, which is what the portal's leaky bucket admits (bitrix24-protocol.md §5.1).
/// </summary>
/// <remarks>
/// Time is the database's <c>clock_timestamp()</c>, so instances with skewed clocks still agree. A reservation whose
/// caller is cancelled is not given back: the budget is under-used for one slot, never exceeded. A reservation that
/// would wait longer than <see cref="PortalBudget.MaxWait"/> is not made, and the call is refused (as the in-process
/// limiter refuses past its queue).
/// </remarks>
internal sealed class PostgreSqlRateLimiter(PostgreSqlDatabase database, IOptions<Bitrix24AppOptions> options, TimeProvider time)
    : IPortalRateLimiter
{
    // One statement: reserve the slot (insert the portal's row or move it on) and answer how long to wait for it.
    // The WHERE clause declines a reservation past the wait bound; then no row comes back.
    private const string Reserve = """
        WITH clock AS (SELECT clock_timestamp() AS now)
        INSERT INTO portal_rate_budgets AS b (member_id, next_free_at)
        SELECT @member, clock.now + @interval FROM clock
        ON CONFLICT (member_id) DO UPDATE
            SET next_free_at = GREATEST(b.next_free_at, (SELECT now FROM clock)) + @interval
            WHERE GREATEST(b.next_free_at, (SELECT now FROM clock)) + @interval - @window - (SELECT now FROM clock) <= @max_wait
        RETURNING GREATEST(0, EXTRACT(EPOCH FROM (b.next_free_at - @window - (SELECT now FROM clock))))::float8
        """;

    public async ValueTask<RateLimitLease> AcquireAsync(string memberId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var interval = TimeSpan.FromSeconds(1 / PortalBudget.Rate(settings));
        database.Migrate();
        double? waitSeconds;
        await using (var connection = await database.DataSource.OpenConnectionAsync(cancellationToken))
        await using (var command = new NpgsqlCommand(Reserve, connection))
        {
            command.Parameters.AddWithValue("member", memberId);
            command.Parameters.AddWithValue("interval", interval);
            command.Parameters.AddWithValue("window", interval * PortalBudget.Burst(settings));
            command.Parameters.AddWithValue("max_wait", PortalBudget.MaxWait(settings));
            waitSeconds = await command.ExecuteScalarAsync(cancellationToken) as double?;
        }
        if (waitSeconds is not { } wait) return Lease.Refused;
        if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait), time, cancellationToken);
        return Lease.Acquired;
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true);
        public static readonly Lease Refused = new(false);

        public override bool IsAcquired { get; } = acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
