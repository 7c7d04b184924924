using LineBridge.Bitrix24;
using LineBridge.Infrastructure;

namespace LineBridge.MultiInstance;

/// <summary>Three instances on one PostgreSQL database share one portal's REST budget (its leaky bucket).</summary>
public sealed class SharedRateBudgetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThreeInstances_HammeringOnePortal_TogetherStayWithinItsBucket()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync(Ct);
        // A small, quick bucket so the test is short: 10 at once, 5 per second (the app is told the same).
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["ConnectionStrings:LineBridge"] = database.ConnectionString,
            ["Bitrix24:Burst"] = "10",
            ["Bitrix24:RequestsPerSecond"] = "5",
        };
        await using var app = await SandboxedApp.StartAsync(
            settings: settings, configureSandbox: o => o.Portals.ForEach(p => { p.Burst = 10; p.RequestsPerSecond = 5; }), cancellationToken: Ct);
        await using var b = await app.StartPeerAsync(settings);
        await using var c = await app.StartPeerAsync(settings);
        var instances = new[] { app.Clients, b.Clients, c.Clients };
        // The install's token verification does not go through the limiter (by design); start from an empty bucket.
        await SandboxedApp.WaitUntilAsync(() => app.Portal.BucketLevel == 0, "the portal's bucket has drained after the install");
        var before = app.Portal.Calls.Count;

        // 12 calls per instance at once: each instance alone stays within the burst of 9 (10 less headroom) only if
        // it knows what the other two spend.
        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, 36).Select(i => Task.Run(async () =>
        {
            start.Wait(Ct);
            return await instances[i % 3].ForPortal(app.Portal.MemberId).App.InfoAsync(Ct);
        }, Ct)).ToList();
        start.Set();
        var answers = await Task.WhenAll(calls);

        Assert.All(answers, info => Assert.Equal(app.Sandbox.App.ClientId, info.Code));
        var during = app.Portal.Calls.Skip(before).ToList();
        Assert.DoesNotContain(during, call => call.Error == Bitrix24Errors.QueryLimitExceeded);
        Assert.Equal(36, during.Count(call => call.Status == 200));
    }
}
