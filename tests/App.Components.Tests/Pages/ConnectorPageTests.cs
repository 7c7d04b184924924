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
    public void Render_ShowsTheLineThePortalNamed_AndConnectsIt()
    {
        var session = TestSessions.Admin() with { Placement = "SETTING_CONNECTOR", ConnectorPlacement = new("linebridge", 2) };

        var cut = RenderFor(session);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=line-row]")), Patience);
        Assert.Equal("2", cut.Find("[data-testid=line-row]").GetAttribute("data-line-id"));
        Assert.NotNull(cut.Find("[data-testid=api-access]"));

        cut.Find("[data-testid=connect-button]").Click();

        cut.WaitForAssertion(() => Assert.Equal("Connected", cut.Find("[data-testid=connector-status]").GetAttribute("data-state")), Patience);
        Assert.Equal(["connect:2"], Directory.Calls);
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
