using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Messages;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Components.Pages;

public sealed class LinesPageTests : ComponentTestBase
{
    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private IRenderedComponent<LinesPage> RenderAt(string relativeUri)
    {
        Navigation.NavigateTo(relativeUri);
        PrepareInteractive();
        return Render<LinesPage>();
    }

    [Fact]
    public void Render_AsksToReopenFromThePortal_WhenTheTicketIsMissing()
    {
        var cut = RenderAt("/lines");

        Assert.NotNull(cut.Find("[data-testid=no-session]"));
    }

    [Fact]
    public void Render_QueriesTheLineAndFiltersFromTheUrl()
    {
        var session = Sessions.Add(TestSessions.Operator());
        Log.Add("m1", "Where is my order?", lineId: 2, chatId: "c-9", status: MessageStatus.Failed);

        var cut = RenderAt($"/lines?ticket={session.Ticket}&line=2&chat=c-9&status=failed&q=order&page=1");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-row]")), Patience);
        var query = Log.Queries.Last();
        Assert.Equal(new MessageQuery(2, "c-9", MessageStatus.Failed, "order", 0, MessageList.PageSize), query);
    }

    [Fact]
    public void Administrator_FindsApiAccessAndWebhook_InSettings_ForTheSelectedLine()
    {
        var admin = Sessions.Add(TestSessions.Admin());
        var cut = RenderAt($"/lines?ticket={admin.Ticket}&line=1");
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=messages-view]")), Patience);
        Assert.Empty(cut.FindAll("[data-testid=api-access]"));
        Assert.Empty(cut.FindAll("[data-testid=connect-button]"));

        cut.Find("[data-testid=nav-settings]").Click();

        cut.WaitForAssertion(() => Assert.Contains("view=settings", Navigation.Uri), Patience);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=settings-view]")), Patience);
        cut.WaitForAssertion(() => Assert.EndsWith("/lines/1/messages", cut.Find("[data-testid=api-address]").GetAttribute("value")), Patience);
        Assert.NotNull(cut.Find("[data-testid=webhook-panel]"));
        Assert.NotEmpty(cut.FindAll("[data-testid=connect-button]"));
        Assert.Empty(cut.FindAll("[data-testid=message-list]"));
    }

    [Fact]
    public void Operator_SeesOnlyMessages_EvenWhenALinkNamesSettings()
    {
        var session = Sessions.Add(TestSessions.Operator());
        var cut = RenderAt($"/lines?ticket={session.Ticket}&line=1&view=settings");

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=message-list]")), Patience);
        Assert.Empty(cut.FindAll("[data-testid=places]"));
        Assert.Empty(cut.FindAll("[data-testid=settings-view]"));
        Assert.Empty(cut.FindAll("[data-testid=api-access]"));
        Assert.Empty(cut.FindAll("[data-testid=webhook-panel]"));
        Assert.Empty(cut.FindAll("[data-testid=connect-button]"));
    }

    [Fact]
    public void Render_HidesApiAccess_FromOperators()
    {
        var session = Sessions.Add(TestSessions.Operator());
        var cut = RenderAt($"/lines?ticket={session.Ticket}");

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=line-row]").Count), Patience);
        Assert.Empty(cut.FindAll("[data-testid=api-access]"));
        Assert.NotNull(cut.Find("[data-testid=pick-line-hint]"));
    }

    [Fact]
    public void SelectingALine_PutsItInTheUrl()
    {
        var session = Sessions.Add(TestSessions.Admin());

        var cut = RenderAt($"/lines?ticket={session.Ticket}");
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=line-select]").Count), Patience);
        cut.FindAll("[data-testid=line-select]")[1].Click();

        cut.WaitForAssertion(() => Assert.Contains("line=2", Navigation.Uri), Patience);
        Assert.Contains($"ticket={session.Ticket}", Navigation.Uri);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=message-list]")), Patience);
    }

    [Fact]
    public void ChangingTheStatusFilter_IsReflectedInTheUrl()
    {
        var session = Sessions.Add(TestSessions.Operator());
        Log.Add("m1", "hello", lineId: 1, status: MessageStatus.Sent);
        Log.Add("m2", "broken", lineId: 1, status: MessageStatus.Failed, failureReason: "NOT_ACTIVE_LINE");

        var cut = RenderAt($"/lines?ticket={session.Ticket}&line=1");
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=message-row]").Count), Patience);

        cut.Find("[data-testid=status-filter]").Change("Failed");

        cut.WaitForAssertion(() => Assert.Contains("status=Failed", Navigation.Uri), Patience);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-row]")), Patience);
        Assert.Equal(MessageStatus.Failed, Log.Queries.Last().Status);
    }
}
