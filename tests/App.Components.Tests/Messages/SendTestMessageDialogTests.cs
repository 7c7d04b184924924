using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Localization;
using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using MudBlazor;

namespace LineBridge.Components.Messages;

public sealed class SendTestMessageDialogTests : ComponentTestBase
{
    private Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> OpenAsync(PortalSession session) =>
        OpenDialogAsync(new DialogParameters<SendTestMessageDialog>
        {
            { x => x.Session, session },
            { x => x.Loc, Localizer.For(session.Language) },
            { x => x.Line, new OpenLineSummary(3, "Support", true, ConnectorState.Connected) },
        });

    [Fact]
    public async Task Send_SendsIntoTheLine_AndClosesWithTheMessage()
    {
        var (provider, dialog) = await OpenAsync(TestSessions.Admin());

        provider.Find("[data-testid=send-test-text]").Input("Checking the new line");
        provider.Find("[data-testid=send-test-submit]").Click();

        var result = await dialog.Result.WaitAsync(Patience, Xunit.TestContext.Current.CancellationToken);
        var sent = Assert.IsType<SentMessage>(result!.Data);
        Assert.Equal(3, sent.LineId);
        Assert.Equal((3, "Checking the new line"), Editor.TestMessages.Single());
    }

    [Fact]
    public async Task EmptyText_CannotBeSent()
    {
        var (provider, _) = await OpenAsync(TestSessions.Admin());

        provider.Find("[data-testid=send-test-text]").Input("");

        provider.WaitForAssertion(() => Assert.True(provider.Find("[data-testid=send-test-submit]").HasAttribute("disabled")), Patience);
        Assert.Contains("cannot be empty", provider.Markup);
    }

    [Fact]
    public async Task PortalRefusal_IsShownWithItsReason()
    {
        Editor.Failure = new OperationFailedException("The line is not connected (NOT_ACTIVE_LINE).");
        var (provider, dialog) = await OpenAsync(TestSessions.Admin());

        provider.Find("[data-testid=send-test-submit]").Click();

        provider.WaitForAssertion(() => Assert.Contains("NOT_ACTIVE_LINE", provider.Find("[data-testid=send-test-error]").TextContent), Patience);
        Assert.False(dialog.Result.IsCompleted);
    }

    [Fact]
    public async Task PermissionFailure_IsReportedInOurWords()
    {
        var (provider, _) = await OpenAsync(TestSessions.Operator());

        provider.Find("[data-testid=send-test-submit]").Click();

        provider.WaitForAssertion(() => Assert.Contains("Only a portal administrator", provider.Find("[data-testid=send-test-error]").TextContent), Patience);
    }
}
