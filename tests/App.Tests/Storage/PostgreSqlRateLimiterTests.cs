using Dapper;
using LineBridge.Infrastructure;
using LineBridge.Install;
using LineBridge.Storage.PostgreSql;
using Microsoft.Extensions.Options;

namespace LineBridge.Storage;

/// <summary>The shared REST budget: two limiters on one database (two instances) draw on one bucket per portal.</summary>
public sealed class PostgreSqlRateLimiterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoInstances_ShareOnePortalsBurst_WhileAnotherPortalPasses()
    {
        await using var test = await TestPostgres.CreateDatabaseAsync(Ct);
        // A burst of 3 (2 after the headroom) that refills once every ~17 minutes.
        var options = Options.Create(new Bitrix24AppOptions { Burst = 3, RequestsPerSecond = 0.001 });
        using var first = new PostgreSqlDatabase(test.ConnectionString);
        using var second = new PostgreSqlDatabase(test.ConnectionString);
        var onA = new PostgreSqlRateLimiter(first, options, TimeProvider.System);
        var onB = new PostgreSqlRateLimiter(second, options, TimeProvider.System);

        using (var lease = await onA.AcquireAsync("member-a", Ct)) Assert.True(lease.IsAcquired);
        using (var lease = await onB.AcquireAsync("member-a", Ct)) Assert.True(lease.IsAcquired);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var third = onA.AcquireAsync("member-a", cts.Token).AsTask();
        using (var lease = await onB.AcquireAsync("member-b", Ct)) Assert.True(lease.IsAcquired);

        // The third call on member-a has reserved its slot (3 slots of 1000 s booked) and waits for it: ~17 minutes.
        await SandboxedApp.WaitUntilAsync(() =>
        {
            using var connection = first.Open();
            return connection.ExecuteScalar<bool>(
                "SELECT next_free_at > clock_timestamp() + interval '2500 seconds' FROM portal_rate_budgets WHERE member_id = 'member-a'");
        }, "the third call reserved its slot");
        Assert.False(third.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
    }
}
