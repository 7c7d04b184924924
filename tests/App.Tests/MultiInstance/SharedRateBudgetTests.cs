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
        // A small, quick bucket so the test is short: the portal takes 20 at once and 4 per second. The app is told a
        // burst of 9 (8 after its headroom) and 3 per second. A busy machine may hold admitted calls back and let them
        // arrive together: calls admitted within D seconds number at most 8 + 3·D, so the portal's 20 hold for any
        // D up to 4 s. Unshared, the three instances would let 24 out at once, more than the portal's 20.
        var settings = database.AppSettings(
            ("Bitrix24:Burst", "9"),
            ("Bitrix24:RequestsPerSecond", "3"));
        await using var app = await SandboxedApp.StartAsync(
            settings: settings, configureSandbox: o => o.Portals.ForEach(p => { p.Burst = 20; p.RequestsPerSecond = 4; }), cancellationToken: Ct);
        await using var b = await app.StartPeerAsync(settings);
        await using var c = await app.StartPeerAsync(settings);
        var instances = new[] { app.Clients, b.Clients, c.Clients };
        // The install's token verification does not go through the limiter (by design); start from an empty bucket.
        await SandboxedApp.WaitUntilAsync(() => app.Portal.BucketLevel == 0, "the portal's bucket has drained after the install");
        var before = app.Portal.Calls.Count;

        // 12 calls per instance at once: each instance alone would let 8 out at once and the rest at 3/s, the three
        // together 24 at once and 9/s: they stay within the portal's bucket only if each knows what the other two spend.
        var answers = await AtOnce.RunAsync(36, i => instances[i % 3].ForPortal(app.Portal.MemberId).App.InfoAsync(Ct), Ct);

        Assert.All(answers, info => Assert.Equal(app.Sandbox.App.ClientId, info.Code));
        var during = app.Portal.Calls.Skip(before).ToList();
        Assert.DoesNotContain(during, call => call.Error == Bitrix24Errors.QueryLimitExceeded);
        Assert.Equal(36, during.Count(call => call.Status == 200));
    }
}
