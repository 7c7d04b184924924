using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Portal;

namespace LineBridge.Components.OpenLines;

public sealed class OpenLinePickerTests : ComponentTestBase
{
    private IRenderedComponent<OpenLinePicker> RenderPicker(PortalSession session,
        Action<ComponentParameterCollectionBuilder<OpenLinePicker>>? parameters = null, bool manage = true) =>
        RenderInPortal<OpenLinePicker>(session, p =>
        {
            p.Add(x => x.Manage, manage);
            parameters?.Invoke(p);
        });

    [Fact]
    public void MessagesPlace_OffersNoConnectOrDisconnect_EvenToAdministrators_AndShowsEachLinesId()
    {
        var cut = RenderPicker(TestSessions.Admin(), manage: false);

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=line-row]").Count), Patience);
        Assert.Empty(cut.FindAll("[data-testid=connect-button]"));
        Assert.Empty(cut.FindAll("[data-testid=disconnect-button]"));
        Assert.Contains("id 2", cut.Find("[data-testid=line-row][data-line-id='2'] [data-testid=line-id]").TextContent);
    }

    private static string State(IRenderedComponent<OpenLinePicker> cut, int lineId) =>
        cut.Find($"[data-testid=line-row][data-line-id='{lineId}'] [data-testid=connector-status]").GetAttribute("data-state")!;

    [Fact]
    public void Render_ShowsProgress_WhileLinesLoad()
    {
        Directory.LinesGate = new TaskCompletionSource();

        var cut = RenderPicker(TestSessions.Admin());

        Assert.NotEmpty(cut.FindAll(".mud-progress-linear"));
        Directory.LinesGate.SetResult();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=line-row]").Count), Patience);
    }

    [Fact]
    public void Render_ShowsEachLineWithItsConnectorStatus()
    {
        var cut = RenderPicker(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=line-row]").Count), Patience);
        Assert.Equal("Connected", State(cut, 1));
        Assert.Equal("NotConnected", State(cut, 2));
    }

    [Fact]
    public void Render_ShowsThePortalsConnectorError()
    {
        Directory.Lines[0] = Directory.Lines[0] with { Connector = ConnectorState.Error, ConnectorError = "Channel token expired" };

        var cut = RenderPicker(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Contains("Channel token expired", cut.Find("[data-testid=connector-error]").TextContent), Patience);
    }

    [Fact]
    public void Render_ExplainsWhatToDo_WhenThePortalHasNoLines()
    {
        Directory.Lines.Clear();

        var cut = RenderPicker(TestSessions.Admin());

        cut.WaitForAssertion(() => Assert.Contains("Create one in Contact Center", cut.Find("[data-testid=lines-empty]").TextContent), Patience);
    }

    [Fact]
    public void Render_ShowsTheReason_WhenLinesCannotBeLoaded()
    {
        Directory.LinesFailure = new OperationFailedException("The portal is not reachable.");

        var cut = RenderPicker(TestSessions.Admin());

        cut.WaitForAssertion(() => Assert.Contains("not reachable", cut.Find("[data-testid=lines-error]").TextContent), Patience);
    }

    [Fact]
    public void Operator_SeesLinesReadOnly()
    {
        var cut = RenderPicker(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=line-row]").Count), Patience);
        Assert.Empty(cut.FindAll("[data-testid=connect-button]"));
        Assert.Empty(cut.FindAll("[data-testid=disconnect-button]"));
        Assert.NotNull(cut.Find("[data-testid=operator-note]"));
    }

    [Fact]
    public void Administrator_ConnectsALine_AndItsStatusChanges()
    {
        IReadOnlyList<OpenLineSummary>? reported = null;
        var cut = RenderPicker(TestSessions.Admin(), p => p.Add(x => x.OnLinesChanged, lines => reported = lines));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=connect-button]")), Patience);

        cut.Find("[data-testid=line-row][data-line-id='2'] [data-testid=connect-button]").Click();

        cut.WaitForAssertion(() => Assert.Equal("Connected", State(cut, 2)), Patience);
        Assert.Equal(["connect:2"], Directory.Calls);
        Assert.Equal(ConnectorState.Connected, reported!.Single(l => l.Id == 2).Connector);
    }

    [Fact]
    public void Administrator_DisconnectsALine()
    {
        var cut = RenderPicker(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=disconnect-button]")), Patience);

        cut.Find("[data-testid=line-row][data-line-id='1'] [data-testid=disconnect-button]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=disconnect-confirm-yes]").Click(), Patience);

        cut.WaitForAssertion(() => Assert.Equal("NotConnected", State(cut, 1)), Patience);
    }

    [Fact]
    public void Disconnecting_AsksFirst_AndSaysWhatWorkIsInFlight()
    {
        Directory.PendingWork[1] = 3;
        var cut = RenderPicker(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=disconnect-button]")), Patience);

        cut.Find("[data-testid=line-row][data-line-id='1'] [data-testid=disconnect-button]").Click();

        cut.WaitForAssertion(() =>
        {
            var confirm = cut.Find("[data-testid=disconnect-confirm]").TextContent;
            Assert.Contains("Support", confirm);
            Assert.Contains("3 change(s)", confirm);
            Assert.Contains("connected again", confirm);
        }, Patience);
        Assert.Empty(Directory.Calls); // nothing happens until confirmed

        cut.Find("[data-testid=disconnect-confirm-cancel]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=disconnect-confirm]")), Patience);
        Assert.Empty(Directory.Calls);
        Assert.Equal("Connected", State(cut, 1));
    }

    [Fact]
    public void PortalRefusal_IsReportedWithTheLineAndReason()
    {
        Directory.ActionFailure = new OperationFailedException("The portal says the line is inactive (NOT_ACTIVE_LINE)");
        var cut = RenderPicker(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=connect-button]")), Patience);

        cut.Find("[data-testid=connect-button]").Click();

        cut.WaitForAssertion(() =>
        {
            var error = cut.Find("[data-testid=line-action-error]").TextContent;
            Assert.Contains("Sales", error);
            Assert.Contains("NOT_ACTIVE_LINE", error);
        }, Patience);
        Assert.Equal("NotConnected", State(cut, 2));
    }

    [Fact]
    public void PermissionFailure_IsReportedInOurWords()
    {
        Directory.ActionFailure = new UnauthorizedAccessException("403");
        var cut = RenderPicker(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=connect-button]")), Patience);

        cut.Find("[data-testid=connect-button]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Only a portal administrator", cut.Find("[data-testid=line-action-error]").TextContent), Patience);
    }

    [Fact]
    public void SelectingALine_InvokesOnSelected_AndMarksIt()
    {
        OpenLineSummary? selected = null;
        var cut = RenderPicker(TestSessions.Operator(), p => p
            .Add(x => x.OnSelected, line => selected = line)
            .Add(x => x.SelectedLineId, 1));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=line-select]").Count), Patience);

        cut.Find("[data-testid=line-row][data-line-id='2'] [data-testid=line-select]").Click();

        Assert.Equal(2, selected!.Id);
        Assert.Equal("true", cut.Find("[data-testid=line-row][data-line-id='1']").GetAttribute("data-selected"));
    }

    [Fact]
    public void OnlyLineId_ShowsJustThatLine()
    {
        var cut = RenderPicker(TestSessions.Admin(), p => p.Add(x => x.OnlyLineId, 2));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=line-row]")), Patience);
        Assert.Equal("2", cut.Find("[data-testid=line-row]").GetAttribute("data-line-id"));
    }

    [Fact]
    public void Render_SpeaksRussian_WhenPortalLanguageIsRu()
    {
        var cut = RenderPicker(TestSessions.Admin("ru"));

        cut.WaitForAssertion(() => Assert.Contains("Подключить", cut.Find("[data-testid=connect-button]").TextContent), Patience);
        Assert.Contains("Открытые линии", cut.Markup);
        Assert.Contains("Подключён", cut.Find("[data-testid=line-row][data-line-id='1']").TextContent);
    }

    [Fact]
    public void PortalRefusal_IsToldInTheUsersLanguage_WithItsCode()
    {
        Directory.ActionFailure = new OperationFailedException("The portal says this line is inactive or does not exist (NOT_ACTIVE_LINE).")
        {
            PortalErrorCode = "NOT_ACTIVE_LINE",
        };
        var cut = RenderPicker(TestSessions.Admin("ru"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=connect-button]")), Patience);

        cut.Find("[data-testid=connect-button]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Открытая линия неактивна или не существует. (NOT_ACTIVE_LINE)",
            cut.Find("[data-testid=line-action-error]").TextContent), Patience);
        Assert.DoesNotContain("The portal says", cut.Find("[data-testid=line-action-error]").TextContent);
    }
}
