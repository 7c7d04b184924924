using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Portal;

namespace LineBridge.Components.OpenLines;

public sealed class ApiAccessPanelTests : ComponentTestBase
{
    private static readonly OpenLineSummary Line = new(7, "Website chat", true, ConnectorState.Connected);
    private const string LineAddress = "https://app.example.test/api/v1/lines/7/messages";

    private IRenderedComponent<ApiAccessPanel> Render(PortalSession session) =>
        RenderInPortal<ApiAccessPanel>(session, p => p.Add(x => x.Line, Line));

    [Fact]
    public void Render_ShowsTheLinesFullAddress_ItsNameAndId()
    {
        var cut = Render(TestSessions.Admin());

        cut.WaitForAssertion(() => Assert.Equal(LineAddress, cut.Find("[data-testid=api-address]").GetAttribute("value")), Patience);
        Assert.Contains("Website chat", cut.Find("[data-testid=api-line]").TextContent);
        Assert.Contains("7", cut.Find("[data-testid=api-line]").TextContent);
    }

    [Fact]
    public void CurlExample_HoldsAPlaceholder_UntilAKeyIsCreated_ThenTheKey()
    {
        var cut = Render(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.Contains(LineAddress, cut.Find("[data-testid=api-curl]").TextContent), Patience);
        Assert.Contains("Bearer YOUR_API_KEY", cut.Find("[data-testid=api-curl]").TextContent);

        cut.Find("[data-testid=rotate-key]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Bearer lb_key_1", cut.Find("[data-testid=api-curl]").TextContent), Patience);
        Assert.Contains("\"messages\"", cut.Find("[data-testid=api-curl]").TextContent);
    }

    [Fact]
    public void Operator_CannotCreateOrReplaceTheKey()
    {
        var cut = Render(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=key-state]")), Patience);
        Assert.Empty(cut.FindAll("[data-testid=rotate-key]"));
    }

    [Fact]
    public void Administrator_CreatesAKey_AndSeesItOnce()
    {
        var cut = Render(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rotate-key]")), Patience);

        cut.Find("[data-testid=rotate-key]").Click();

        cut.WaitForAssertion(() => Assert.Equal("lb_key_1", cut.Find("[data-testid=api-key]").GetAttribute("value")), Patience);
        Assert.Contains("shown only once", cut.Find("[data-testid=new-key-notice]").TextContent);
    }

    [Fact]
    public void CreateButton_IsDisabledWhileTheKeyIsMade_SoASecondClickMakesNoSecondKey()
    {
        Directory.RotateGate = new TaskCompletionSource();
        var cut = Render(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rotate-key]")), Patience);

        cut.Find("[data-testid=rotate-key]").Click();

        cut.WaitForAssertion(() => Assert.True(cut.Find("[data-testid=rotate-key]").HasAttribute("disabled")), Patience);
        Directory.RotateGate.SetResult();
        cut.WaitForAssertion(() => Assert.Equal("lb_key_1", cut.Find("[data-testid=api-key]").GetAttribute("value")), Patience);
        Assert.Equal(["rotate"], Directory.Calls);
    }

    [Fact]
    public void Administrator_MustConfirm_BeforeAnExistingKeyIsReplaced()
    {
        Directory.Access = Directory.Access with { HasKey = true, KeyCreatedAt = DateTimeOffset.UtcNow, KeyHint = "x9" };
        var cut = Render(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.Contains("x9", cut.Find("[data-testid=key-state]").TextContent), Patience);

        cut.Find("[data-testid=rotate-key]").Click();
        Assert.Empty(Directory.Calls);
        cut.Find("[data-testid=rotate-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Equal("lb_key_1", cut.Find("[data-testid=api-key]").GetAttribute("value")), Patience);
        Assert.Equal(["rotate"], Directory.Calls);
    }

    [Fact]
    public void PermissionFailure_IsReportedInOurWords()
    {
        Directory.ActionFailure = new UnauthorizedAccessException("403");
        var cut = Render(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rotate-key]")), Patience);

        cut.Find("[data-testid=rotate-key]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Only a portal administrator", cut.Find("[data-testid=api-error]").TextContent), Patience);
        Assert.Empty(cut.FindAll("[data-testid=api-key]"));
    }

    [Fact]
    public void Copy_SaysCopied_WhenTheClipboardTookIt()
    {
        JSInterop.Setup<bool>("lineBridge.copyText", LineAddress).SetResult(true);
        var cut = Render(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=copy-address]")), Patience);

        cut.Find("[data-testid=copy-address]").Click();

        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=copy-result]").GetAttribute("data-copied")), Patience);
        Assert.Contains("Copied", cut.Find("[data-testid=copy-result]").TextContent);
    }

    [Fact]
    public void Copy_IsAWarning_AndSelectsTheText_WhenTheBrowserRefused()
    {
        JSInterop.Setup<bool>("lineBridge.copyText", _ => true).SetResult(false);
        var select = JSInterop.SetupVoid("lineBridge.selectText", "api-curl");
        select.SetVoidResult();
        var cut = Render(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=copy-curl]")), Patience);

        cut.Find("[data-testid=copy-curl]").Click();

        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find("[data-testid=copy-result]").GetAttribute("data-copied")), Patience);
        var result = cut.Find("[data-testid=copy-result]");
        Assert.Contains("mud-warning-text", result.ClassName);
        Assert.DoesNotContain("mud-success-text", result.ClassName);
        Assert.Contains("Ctrl+C", result.TextContent);
        Assert.Single(select.Invocations);
    }

    [Fact]
    public void CopyButtons_AreButtonsOfTheirOwn_ReachableWithTab()
    {
        var cut = Render(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=copy-address]")), Patience);

        foreach (var id in new[] { "copy-address", "copy-curl" })
        {
            var button = cut.Find($"[data-testid={id}]");
            Assert.Equal("BUTTON", button.TagName);
            Assert.NotEqual("-1", button.GetAttribute("tabindex"));
            Assert.False(string.IsNullOrEmpty(button.GetAttribute("aria-label")));
        }
    }
}
