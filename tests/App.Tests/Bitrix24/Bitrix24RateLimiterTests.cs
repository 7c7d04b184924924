using LineBridge.Infrastructure;

namespace LineBridge.Bitrix24;

public class Bitrix24RateLimiterTests
{
    [Fact]
    public async Task Calls_BeyondThePortalsBurst_WaitForTheBucket_WhileOtherPortalsPass()
    {
        // A burst of 3 (2 after the headroom) that refills once every ~17 minutes: the third call must wait.
        await using var h = new ClientHarness(_ => RecordingHandler.Fixture("app-info"), app: o => { o.Burst = 3; o.RequestsPerSecond = 0.001; });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var client = h.UserClient();

        await client.App.InfoAsync(cts.Token);
        await client.App.InfoAsync(cts.Token);
        var third = client.App.InfoAsync(cts.Token);
        var otherPortal = h.Factory.ForUser(new UserCredentials("another-member", ClientHarness.RestBase, "t"));
        await otherPortal.App.InfoAsync(cts.Token);

        Assert.False(third.IsCompleted);
        Assert.Equal(3, h.Portal.Requests.Count);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
        Assert.Equal(3, h.Portal.Requests.Count);
    }
}
