using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.OpenLines;

namespace LineBridge.Components.Messages;

/// <summary>The pager's total: a line beyond the store's cap says "1000+" instead of a count (issue 15).</summary>
public sealed class MessageListTotalsTests : ComponentTestBase
{
    private static readonly OpenLineSummary ConnectedLine = new(1, "Support", true, ConnectorState.Connected);

    [Fact]
    public void ALineBeyondTheCap_ShowsItsTotalAsCappedInThePager()
    {
        for (var i = 0; i < 30; i++) Log.Add($"m{i}", $"Message {i}", minutesAgo: i);
        Log.TotalCap = 25;

        var cut = RenderInPortal<MessageList>(TestSessions.Operator(), p => p.Add(x => x.Line, ConnectedLine));

        cut.WaitForAssertion(() => Assert.Equal("1–25 of 25+", cut.Find("[data-testid=pager-info]").TextContent.Trim()), Patience);
        // "25+" says more follow: the next page stays reachable although its count is reached.
        Assert.False(cut.Find("[data-testid=pager-next]").HasAttribute("disabled"));
        cut.Find("[data-testid=pager-next]").Click();
        cut.WaitForAssertion(() => Assert.Equal("26–30 of 30", cut.Find("[data-testid=pager-info]").TextContent.Trim()), Patience);
    }
}
