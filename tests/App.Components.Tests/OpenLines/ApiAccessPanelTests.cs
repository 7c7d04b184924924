using Bunit;
using LineBridge.Components.Fakes;

namespace LineBridge.Components.OpenLines;

public sealed class ApiAccessPanelTests : ComponentTestBase
{
    [Fact]
    public void Render_ShowsTheApiAddress()
    {
        var cut = RenderInPortal<ApiAccessPanel>(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Equal("https://app.example.test/api/v1", cut.Find("[data-testid=api-address]").GetAttribute("value")), Patience);
    }

    [Fact]
    public void Operator_CannotCreateOrReplaceTheKey()
    {
        var cut = RenderInPortal<ApiAccessPanel>(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=key-state]")), Patience);
        Assert.Empty(cut.FindAll("[data-testid=rotate-key]"));
    }

    [Fact]
    public void Administrator_CreatesAKey_AndSeesItOnce()
    {
        var cut = RenderInPortal<ApiAccessPanel>(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rotate-key]")), Patience);

        cut.Find("[data-testid=rotate-key]").Click();

        cut.WaitForAssertion(() => Assert.Equal("lb_key_1", cut.Find("[data-testid=api-key]").GetAttribute("value")), Patience);
        Assert.Contains("shown only once", cut.Find("[data-testid=new-key-notice]").TextContent);
    }

    [Fact]
    public void Administrator_MustConfirm_BeforeAnExistingKeyIsReplaced()
    {
        Directory.Access = Directory.Access with { HasKey = true, KeyCreatedAt = DateTimeOffset.UtcNow, KeyHint = "x9" };
        var cut = RenderInPortal<ApiAccessPanel>(TestSessions.Admin());
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
        var cut = RenderInPortal<ApiAccessPanel>(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rotate-key]")), Patience);

        cut.Find("[data-testid=rotate-key]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Only a portal administrator", cut.Find("[data-testid=api-error]").TextContent), Patience);
        Assert.Empty(cut.FindAll("[data-testid=api-key]"));
    }

    [Fact]
    public void Copy_UsesTheClipboardHelper_AndSaysWhetherItWorked()
    {
        JSInterop.Setup<bool>("lineBridge.copyText", "https://app.example.test/api/v1").SetResult(true);
        var cut = RenderInPortal<ApiAccessPanel>(TestSessions.Operator());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=api-address]")), Patience);

        cut.Find("[aria-label='Copy the API address']").Click();

        cut.WaitForAssertion(() => Assert.Contains("Copied", cut.Find("[data-testid=copy-result]").TextContent), Patience);
    }
}
