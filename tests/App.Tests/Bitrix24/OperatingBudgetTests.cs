using LineBridge.Messages;
using Microsoft.Extensions.Options;

namespace LineBridge.Bitrix24;

public class OperatingBudgetTests
{
    private const string Portal = "a223c6b3710f85df22e9377d6c4f7553";
    private const string Method = "imconnector.update.messages";

    private static (Bitrix24OperatingBudget Budget, ManualTime Time) Create()
    {
        var time = new ManualTime();
        var options = Options.Create(new Bitrix24ClientOptions { OperatingLimitSeconds = 100, OperatingHeadroom = 0, OperatingWindow = TimeSpan.FromMinutes(10) });
        return (new Bitrix24OperatingBudget(options, time), time);
    }

    [Fact]
    public void AMethodIsNotPaced_UntilThePortalReportsOperatingTime()
    {
        var (budget, _) = Create();
        budget.Observe(Portal, Method, new Bitrix24Time(500, null, null));
        Assert.Equal(DateTimeOffset.MinValue, budget.ReadyAt(Portal, Method));
    }

    [Fact]
    public void OnceTheReportedSumReachesTheLimit_TheMethodWaits_UntilOurOwnOldestCallLeavesTheWindow()
    {
        var (budget, time) = Create();
        var start = time.Now;
        budget.Observe(Portal, Method, new Bitrix24Time(60, 60, start.AddMinutes(10).ToUnixTimeSeconds()));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(DateTimeOffset.MinValue, budget.ReadyAt(Portal, Method));
        budget.Observe(Portal, Method, new Bitrix24Time(50, 110, start.AddMinutes(10).ToUnixTimeSeconds()));

        // 110 s of 100: free once the first call (60 s) leaves the window, 10 minutes after it was counted.
        Assert.Equal(start.AddMinutes(10), budget.ReadyAt(Portal, Method));
        Assert.Equal(DateTimeOffset.MinValue, budget.ReadyAt(Portal, "imconnector.send.messages"));
        time.Advance(TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(1));
        Assert.Equal(DateTimeOffset.MinValue, budget.ReadyAt(Portal, Method));
    }

    [Fact]
    public void CallsOutNow_CountAgainstTheBudget_UntilTheyAnswer()
    {
        var (budget, _) = Create();
        budget.Observe(Portal, Method, new Bitrix24Time(50, 50, null));
        using (budget.Reserve(Portal, Method, 60))
        {
            Assert.NotEqual(DateTimeOffset.MinValue, budget.ReadyAt(Portal, Method));
        }
        Assert.Equal(DateTimeOffset.MinValue, budget.ReadyAt(Portal, Method));
    }

    [Fact]
    public void TimeTheLedgerCannotExplain_WaitsForThePortalsResetTime()
    {
        var (budget, time) = Create();
        var reset = time.Now.AddMinutes(3);
        // After a restart: the portal reports 120 s we have no record of.
        budget.Observe(Portal, Method, new Bitrix24Time(null, 120, reset.ToUnixTimeSeconds()));
        var readyAt = budget.ReadyAt(Portal, Method);
        Assert.True(readyAt >= reset && readyAt < reset.AddSeconds(2), readyAt.ToString("O"));
    }

    [Fact]
    public void CallsAreSizedToTheTargetTime_FromTheMeasuredCostPerElement()
    {
        var (budget, _) = Create();
        Assert.Null(budget.MaxItemsPerCall(Portal, Method));
        budget.ObserveItems(Portal, Method, 100, 2);    // 20 ms an element
        Assert.Equal(1000, budget.MaxItemsPerCall(Portal, Method)); // 20 s target
    }
}
