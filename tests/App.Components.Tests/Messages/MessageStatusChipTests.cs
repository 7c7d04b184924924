using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.OpenLines;

namespace LineBridge.Components.Messages;

/// <summary>The status cell of a message row (plain markup in <see cref="MessageList"/>, no component per row).</summary>
public sealed class MessageStatusChipTests : ComponentTestBase
{
    private IRenderedComponent<MessageList> RenderChip(SentMessage message)
    {
        var cut = RenderInPortal<MessageList>(TestSessions.Operator(),
            p => p.Add(c => c.Line, new OpenLineSummary(1, "Support", true, ConnectorState.Connected)));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll($"[data-testid=message-row][data-message-id={message.Id}]")), Patience);
        return cut;
    }

    private SentMessage WithPortalText(SentMessage message, string portalText)
    {
        var changed = message with { PortalText = portalText };
        Log.Messages[Log.Messages.IndexOf(message)] = changed;
        return changed;
    }

    [Fact]
    public void WaitingMessage_SaysWhatItWaitsFor_NotFailed()
    {
        var message = Log.Add("m1", "Hi", status: MessageStatus.Waiting,
            failureReason: "Waiting: open line 1 is not connected to LineBridge. It goes out once an administrator connects the line again.");

        var cut = RenderChip(message);

        Assert.Equal("Waiting", cut.Find("[data-testid=status-chip]").GetAttribute("data-status"));
        Assert.Contains("Waiting", cut.Find("[data-testid=status-chip]").TextContent);
        Assert.Contains("connects the line again", cut.Find("[data-testid=status-reason]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=failure-reason]"));
        Assert.Empty(cut.FindAll("[data-testid=retry-button]"));
    }

    [Fact]
    public void PendingNewText_ShowsTheTextThePortalStillHolds()
    {
        var message = WithPortalText(Log.Add("m1", "new text", status: MessageStatus.Waiting, version: 2, failureReason: "Waiting: line off"), "old text");

        var cut = RenderChip(message);

        Assert.Contains("The portal still shows: old text", cut.Find("[data-testid=portal-text]").TextContent);
    }

    [Fact]
    public void SentMessage_ShowsNoPortalTextNote()
    {
        var message = WithPortalText(Log.Add("m1", "same", status: MessageStatus.Sent), "same");

        var cut = RenderChip(message);

        Assert.Empty(cut.FindAll("[data-testid=portal-text]"));
    }

    [Fact]
    public void FailedMessage_HasARetry_ThatQueuesItAgain()
    {
        var message = Log.Add("m1", "Hi", status: MessageStatus.Failed, failureReason: "ERROR_ARGUMENT: Not all the required data");

        var cut = RenderChip(message);
        cut.Find("[data-testid=retry-button]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["m1"], Editor.Retries), Patience);
        Assert.Equal(MessageStatus.Queued, Log.Messages.Single(m => m.Id == "m1").Status);
    }
}
