using Bunit;
using LineBridge.Components.Fakes;

namespace LineBridge.Components.Replies;

public sealed class LineWebhookPanelTests : ComponentTestBase
{
    private IRenderedComponent<LineWebhookPanel> RenderPanel(bool admin, int lineId = 1, string language = "en")
    {
        var session = (admin ? TestSessions.Admin() : TestSessions.Operator()) with { Language = language };
        var cut = RenderInPortal<LineWebhookPanel>(session, p => p.Add(x => x.LineId, lineId));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=webhook-secret-state]")), Patience);
        return cut;
    }

    [Fact]
    public void Administrator_SavesAnAddress_AndSeesTheNewSecretOnce()
    {
        var cut = RenderPanel(admin: true);
        Assert.NotNull(cut.Find("[data-testid=webhook-missing]"));

        cut.Find("[data-testid=webhook-url]").Input("https://crm.example.test/hook");
        cut.Find("[data-testid=webhook-save]").Click();

        cut.WaitForAssertion(() => Assert.Equal("whsec_test0001", cut.Find("[data-testid=webhook-secret]").GetAttribute("value")), Patience);
        Assert.Contains("shown only once", cut.Find("[data-testid=webhook-secret-notice]").TextContent);
        Assert.Equal(["set 1 https://crm.example.test/hook"], Webhooks.Calls);
        Assert.Empty(cut.FindAll("[data-testid=webhook-missing]"));
    }

    [Fact]
    public void SecretState_ShowsOnlyTheHint_WhenASecretExists()
    {
        Webhooks.Webhooks[1] = new LineWebhook(1, "https://crm.example.test/hook", true, DateTimeOffset.UtcNow, "Zx9q");

        var cut = RenderPanel(admin: true);

        Assert.Contains("Zx9q", cut.Find("[data-testid=webhook-secret-state]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=webhook-secret]"));
        Assert.Equal("https://crm.example.test/hook", cut.Find("[data-testid=webhook-url]").GetAttribute("value"));
    }

    [Fact]
    public void Administrator_MustConfirm_BeforeTheSecretIsReplaced()
    {
        Webhooks.Webhooks[1] = new LineWebhook(1, "https://crm.example.test/hook", true, DateTimeOffset.UtcNow, "Zx9q");
        var cut = RenderPanel(admin: true);

        cut.Find("[data-testid=webhook-rotate]").Click();
        Assert.Empty(Webhooks.Calls);
        cut.Find("[data-testid=webhook-rotate-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Equal("whsec_test0001", cut.Find("[data-testid=webhook-secret]").GetAttribute("value")), Patience);
        Assert.Equal(["rotate 1"], Webhooks.Calls);
    }

    [Fact]
    public void Operator_SeesTheAddress_ButCannotChangeOrTestIt()
    {
        Webhooks.Webhooks[1] = new LineWebhook(1, "https://crm.example.test/hook", true, DateTimeOffset.UtcNow, "Zx9q");

        var cut = RenderPanel(admin: false);

        Assert.NotNull(cut.Find("input[data-testid=webhook-url][readonly]"));
        Assert.Empty(cut.FindAll("[data-testid=webhook-save]"));
        Assert.Empty(cut.FindAll("[data-testid=webhook-rotate]"));
        Assert.Empty(cut.FindAll("[data-testid=webhook-test]"));
    }

    [Fact]
    public void Test_IsOfferedOnceConfigured_AndShowsTheWebhooksAnswer()
    {
        Webhooks.Webhooks[1] = new LineWebhook(1, "https://crm.example.test/hook", true, DateTimeOffset.UtcNow, "Zx9q");
        Webhooks.TestResult = new WebhookTestResult(false, 401, "The webhook answered 401 Unauthorized.");
        var cut = RenderPanel(admin: true);

        cut.Find("[data-testid=webhook-test]").Click();

        cut.WaitForAssertion(() => Assert.Contains("401 Unauthorized", cut.Find("[data-testid=webhook-test-result]").TextContent), Patience);
        Assert.Contains("The test failed", cut.Find("[data-testid=webhook-test-result]").TextContent);
    }

    [Fact]
    public void Test_IsDisabled_UntilTheLineHasAWebhook()
    {
        var cut = RenderPanel(admin: true);

        Assert.True(cut.Find("[data-testid=webhook-test]").HasAttribute("disabled"));
    }

    [Fact]
    public void RefusedAddress_IsReportedWithTheServicesReason()
    {
        Webhooks.ActionFailure = new OperationFailedException("The webhook address must be an absolute http:// or https:// URL.");
        var cut = RenderPanel(admin: true);

        cut.Find("[data-testid=webhook-url]").Input("crm");
        cut.Find("[data-testid=webhook-save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("absolute http://", cut.Find("[data-testid=webhook-error]").TextContent), Patience);
        Assert.Empty(cut.FindAll("[data-testid=webhook-secret]"));
    }

    [Theory]
    [InlineData("en", "must be an absolute http:// or https:// URL")]
    [InlineData("ru", "Адрес вебхука должен быть полным адресом http:// или https://")]
    public void RefusedAddress_IsToldInThePortalsLanguage(string language, string expected)
    {
        Webhooks.ActionFailure = new OperationFailedException(new Localization.LocalText("Problem.WebhookUrl"));
        var cut = RenderPanel(admin: true, language: language);

        cut.Find("[data-testid=webhook-url]").Input("crm");
        cut.Find("[data-testid=webhook-save]").Click();

        cut.WaitForAssertion(() => Assert.Contains(expected, cut.Find("[data-testid=webhook-error]").TextContent), Patience);
    }

    [Fact]
    public void ServerRefusal_OfANonAdministrator_IsShownInOurWords()
    {
        Webhooks.ActionFailure = new UnauthorizedAccessException("403");
        var cut = RenderPanel(admin: true);

        cut.Find("[data-testid=webhook-save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Only a portal administrator", cut.Find("[data-testid=webhook-error]").TextContent), Patience);
    }

    [Fact]
    public void AnotherLine_ShowsItsOwnWebhook_AndDropsTheShownSecret()
    {
        Webhooks.Webhooks[2] = new LineWebhook(2, "https://two.example.test/hook", true, DateTimeOffset.UtcNow, "TwO2");
        var cut = RenderPanel(admin: true);
        cut.Find("[data-testid=webhook-url]").Input("https://one.example.test/hook");
        cut.Find("[data-testid=webhook-save]").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=webhook-secret]")), Patience);

        cut.Render(p => p.Add(x => x.LineId, 2));

        cut.WaitForAssertion(() => Assert.Contains("TwO2", cut.Find("[data-testid=webhook-secret-state]").TextContent), Patience);
        Assert.Empty(cut.FindAll("[data-testid=webhook-secret]"));
        Assert.Equal("https://two.example.test/hook", cut.Find("[data-testid=webhook-url]").GetAttribute("value"));
    }

    [Fact]
    public void Russian_Portal_GetsRussianTexts()
    {
        var cut = RenderPanel(admin: true, language: "ru");

        Assert.Contains("Ответы во внешнюю систему", cut.Markup);
        Assert.Contains("Вебхук не задан", cut.Find("[data-testid=webhook-missing]").TextContent);
    }
}
