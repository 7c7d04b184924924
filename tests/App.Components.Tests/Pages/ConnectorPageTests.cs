using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Portal;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Components.Pages;

public sealed class ConnectorPageTests : ComponentTestBase
{
    private IRenderedComponent<ConnectorPage> RenderFor(PortalSession session)
    {
        Sessions.Add(session);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/connector?ticket={session.Ticket}");
        PrepareInteractive();
        return Render<ConnectorPage>();
    }

    [Fact]
    public void Administrator_FinishesTheConnectionThePortalStarted_WithoutASecondConnect()
    {
        var session = TestSessions.Admin() with { Placement = "SETTING_CONNECTOR", ConnectorPlacement = new("linebridge", 2) };

        var cut = RenderFor(session);

        cut.WaitForAssertion(() => Assert.Equal("Connected", cut.Find("[data-testid=connector-status]").GetAttribute("data-state")), Patience);
        Assert.Single(cut.FindAll("[data-testid=line-row]"));
        Assert.Equal("2", cut.Find("[data-testid=line-row]").GetAttribute("data-line-id"));
        Assert.Equal(["connect:2"], Directory.Calls);
        // That line's settings: its own address and the replies webhook.
        cut.WaitForAssertion(() => Assert.EndsWith("/lines/2/messages", cut.Find("[data-testid=api-address]").GetAttribute("value")), Patience);
        Assert.NotNull(cut.Find("[data-testid=webhook-panel]"));
    }

    [Fact]
    public void Operator_InContactCenter_ConnectsNothing_AndSeesNoSettings()
    {
        var session = TestSessions.Operator() with { Placement = "SETTING_CONNECTOR", ConnectorPlacement = new("linebridge", 2) };

        var cut = RenderFor(session);

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=line-row]")), Patience);
        Assert.Empty(Directory.Calls);
        Assert.Empty(cut.FindAll("[data-testid=api-access]"));
        Assert.Empty(cut.FindAll("[data-testid=webhook-panel]"));
    }

    [Fact]
    public void Render_SaysWhatToDo_WhenThePortalNamedNoLine()
    {
        var session = TestSessions.Admin() with { Placement = "SETTING_CONNECTOR" };

        var cut = RenderFor(session);

        Assert.Contains("Open the connector again", cut.Find("[data-testid=no-placement-line]").TextContent);
    }

    [Fact]
    public void Render_SaysWhatToDo_WhenTheNamedLineNoLongerExists()
    {
        var session = TestSessions.Admin() with { Placement = "SETTING_CONNECTOR", ConnectorPlacement = new("linebridge", 99) };

        var cut = RenderFor(session);

        cut.WaitForAssertion(() => Assert.Contains("does not exist any more", cut.Find("[data-testid=lines-empty]").TextContent), Patience);
    }
}
