using Bunit;
using LineBridge.Components.Fakes;
using Microsoft.AspNetCore.Components;

namespace LineBridge.Components.Portal;

public sealed class PortalFrameTests : ComponentTestBase
{
    private IRenderedComponent<PortalFrame> RenderFrame(string? ticket, bool interactive = true)
    {
        if (interactive)
            PrepareInteractive();
        return Render<PortalFrame>(p => p
            .Add(x => x.Ticket, ticket)
            .Add(x => x.ChildContent, (RenderFragment<PortalSession>)(session => builder =>
            {
                builder.OpenElement(0, "p");
                builder.AddAttribute(1, "data-testid", "child");
                builder.AddContent(2, session.UserName);
                builder.CloseElement();
            })));
    }

    [Fact]
    public void Render_ShowsReopenAdvice_WhenTicketIsMissing()
    {
        var cut = RenderFrame(null);

        Assert.Contains("Open LineBridge again", cut.Find("[data-testid=no-session]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=child]"));
    }

    [Fact]
    public void Render_ShowsReopenAdvice_WhenTicketIsUnknownOrExpired()
    {
        var cut = RenderFrame("forged");

        Assert.NotNull(cut.Find("[data-testid=no-session]"));
        Assert.Equal(["forged"], Sessions.Opened);
    }

    [Fact]
    public void Prerender_OnlyShowsProgress_AndLeavesTheTicketForTheInteractiveRender()
    {
        var session = Sessions.Add(TestSessions.Admin());
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));

        var cut = RenderFrame(session.Ticket, interactive: false);

        Assert.NotEmpty(cut.FindAll(".mud-progress-linear"));
        Assert.Empty(cut.FindAll("[data-testid=child]"));
        Assert.Empty(Sessions.Opened);
    }

    [Fact]
    public void Render_ShowsContentWithTheSession_WhenPortalIsReady()
    {
        var session = Sessions.Add(TestSessions.Admin());

        var cut = RenderFrame(session.Ticket);

        Assert.Equal("Anna Admin", cut.Find("[data-testid=child]").TextContent);
        Assert.Contains("administrator", cut.Find("[data-testid=session-user]").TextContent);
    }

    [Fact]
    public void Render_SaysAnAdministratorMustReopen_WhenPortalNeedsReauthorization()
    {
        var session = Sessions.Add(TestSessions.Operator());
        Sessions.State = PortalState.NeedsReauthorization;

        var cut = RenderFrame(session.Ticket);

        Assert.Contains("administrator must open LineBridge", cut.Find("[data-testid=needs-reauthorization]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=child]"));
    }

    [Fact]
    public void Render_SaysLineBridgeIsNotInstalled_WhenPortalUninstalledIt()
    {
        var session = Sessions.Add(TestSessions.Admin());
        Sessions.State = PortalState.Uninstalled;

        var cut = RenderFrame(session.Ticket);

        Assert.NotNull(cut.Find("[data-testid=uninstalled]"));
    }

    [Fact]
    public void Render_ShowsTheReason_WhenPortalStateCannotBeRead()
    {
        var session = Sessions.Add(TestSessions.Admin());
        Sessions.StateFailure = new OperationFailedException("The portal did not answer in time.");

        var cut = RenderFrame(session.Ticket);

        Assert.Contains("did not answer in time", cut.Find("[data-testid=portal-error]").TextContent);
    }

    [Fact]
    public void Render_SpeaksRussian_WhenPortalLanguageIsRu()
    {
        var session = Sessions.Add(TestSessions.Operator("ru"));
        Sessions.State = PortalState.NeedsReauthorization;

        var cut = RenderFrame(session.Ticket);

        Assert.Contains("авторизовать заново", cut.Find("[data-testid=needs-reauthorization]").TextContent);
    }

    [Fact]
    public void PaymentRequired_ShowsTheAppWithANoticeSayingWorkWaitsUntilThePortalPays()
    {
        var session = Sessions.Add(TestSessions.Admin());
        Sessions.State = PortalState.PaymentRequired;

        var cut = RenderFrame(session.Ticket);

        cut.WaitForAssertion(() =>
        {
            var notice = cut.Find("[data-testid=payment-required]").TextContent;
            Assert.Contains("PAYMENT_REQUIRED", notice);
            Assert.Contains("renews the subscription", notice);
        }, Patience);
        Assert.NotNull(cut.Find("[data-testid=child]"));
    }
}
