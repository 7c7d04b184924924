using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using LineBridge.EndToEnd.Infrastructure;

namespace LineBridge.EndToEnd;

/// <summary>
/// axe-core on every page and dialog of LineBridge (light, English), and on the two main places in dark and in
/// Russian; any serious or critical violation fails. The app's pages are opened on their own in a tab (the portal's
/// frame POST sent to the tab, for a fresh ticket: a ticket opens one session, once), so the sandbox portal's page
/// around them is not what is judged. Within a tab the test moves as a user does, by the app's own links.
/// </summary>
public sealed class AccessibilityTests(Browser browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryPageAndDialog_HasNoSeriousViolations_InLightEnglish()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        await external.SendAsync(1, "order-1042", "m-1", "Hello! Where is my order [b]#1042[/b]?", "alice", "Alice", "Order #1042");
        await external.SendAsync(1, "refund-77", "m-2", "A long one. " + string.Concat(Enumerable.Repeat("The parcel arrived damaged. ", 30)), "bob", "Bob", "Refund 77");
        await external.SendRawAsync(1, new
        {
            user = new { id = "bob", name = "Bob" },
            chat = new { id = "refund-77", name = "Refund 77" },
            message = new { id = "m-3", text = "Photo", files = new[] { new { url = "http://127.0.0.1:9/files/parcel.jpg", name = "parcel.jpg" } } },
        });

        // Outside a portal: the app's own address says what it is.
        var home = await context.NewPageAsync();
        await home.GotoAsync(app.BaseUri.AbsoluteUri);
        await AssertAccessible(home, "the home page");

        // Messages, with rows (edited, long, with a file), and each dialog of it.
        var page = await portal.OpenAppAloneAsync();
        await SelectLineAsync(page, 1);
        var row = page.Locator("tr:has([data-testid=message-row])").Filter(new() { HasText = "Where is my order" });
        await Assertions.Expect(row.Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");
        await AssertAccessible(page, "Messages");

        await row.Locator("[data-testid=edit-button]").ClickSurelyAsync();
        await page.GetByTestId("edit-text").FillAsync("Hello! Where is my order [i]#1042[/i]?");
        // The changed text enables Save when the server's render lands: judge the dialog after it, not while Save's
        // colours are still moving from disabled to enabled.
        await Assertions.Expect(page.GetByTestId("edit-save")).ToBeEnabledAsync();
        await AssertAccessible(page, "the edit dialog");
        await page.GetByTestId("edit-save").ClickSurelyAsync();
        await Assertions.Expect(page.GetByTestId("edit-dialog")).ToHaveCountAsync(0);

        await row.Locator("[data-testid=history-button]").ClickSurelyAsync();
        await Assertions.Expect(page.GetByTestId("history-entry")).ToHaveCountAsync(2);
        await AssertAccessible(page, "the history dialog");
        await page.GetByTestId("history-close").ClickSurelyAsync();

        await page.GetByTestId("find-replace-button").ClickSurelyAsync();
        await page.GetByTestId("replace-find").FillAsync("parcel");
        await page.GetByTestId("replace-with").FillAsync("package");
        await page.GetByTestId("replace-preview-button").ClickSurelyAsync();
        await Assertions.Expect(page.GetByTestId("replace-preview")).ToHaveCountAsync(1);
        await AssertAccessible(page, "the find-and-replace dialog");
        await page.GetByTestId("replace-close").ClickSurelyAsync();

        await page.GetByTestId("send-test-button").ClickSurelyAsync();
        await Assertions.Expect(page.GetByTestId("send-test-dialog")).ToBeVisibleAsync();
        await AssertAccessible(page, "the send-test dialog");
        await page.Keyboard.PressAsync("Escape");

        // Settings: lines, the line's API access (with a new key showing) and its webhook.
        await page.GetByTestId("nav-settings").ClickSurelyAsync();
        await Assertions.Expect(page.GetByTestId("api-curl")).ToBeVisibleAsync();
        await page.GetByTestId("copy-address").ClickSurelyAsync();
        await Assertions.Expect(page.GetByTestId("copy-result")).ToBeVisibleAsync();
        await AssertAccessible(page, "Settings");

        // An operator's Messages.
        await portal.OpenAppAsync(userId: 2);
        page = await portal.OpenAppAloneAsync();
        await SelectLineAsync(page, 1);
        await Assertions.Expect(page.GetByTestId("message-row")).ToHaveCountAsync(3);
        await AssertAccessible(page, "an operator's Messages");

        // Contact Center's connector settings of a line.
        await portal.OpenAsync("contact_center/?user=1");
        await portal.Page.Locator("[data-testid=connector-line-linebridge]").SelectOptionAsync("2");
        await portal.Page.Locator("[data-testid=connector-connect-linebridge]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("disconnect-button")).ToBeVisibleAsync();
        page = await portal.OpenAppAloneAsync();
        await Assertions.Expect(page.GetByTestId("api-curl")).ToBeVisibleAsync();
        await AssertAccessible(page, "the connector settings (Contact Center)");

        await context.CloseAsync();
    }

    [Theory]
    [InlineData("dark", null)]
    [InlineData("light", "ru")]
    public async Task TheTwoPlaces_HaveNoSeriousViolations_InDarkAndInRussian(string scheme, string? language)
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync(colorScheme: scheme == "dark" ? ColorScheme.Dark : ColorScheme.Light);
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        await external.SendAsync(1, "order-1042", "m-1", "Hello! Where is my order?", "alice", "Alice", "Order #1042");
        await portal.OpenAppAsync(lang: language);
        var page = await portal.OpenAppAloneAsync();

        await SelectLineAsync(page, 1);
        await Assertions.Expect(page.Locator("[data-testid=status-chip][data-status=Sent]")).ToHaveCountAsync(1);
        if (language is not null) await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
        if (scheme == "dark") await Assertions.Expect(page.GetByTestId("dark-mode-toggle")).ToHaveAttributeAsync("aria-label", "Switch to light theme");
        await AssertAccessible(page, $"Messages ({scheme}, {language ?? "en"})");

        await page.GetByTestId("nav-settings").ClickSurelyAsync();
        await Assertions.Expect(page.GetByTestId("api-curl")).ToBeVisibleAsync();
        await AssertAccessible(page, $"Settings ({scheme}, {language ?? "en"})");

        await context.CloseAsync();
    }

    /// <summary>Picks a line in the app's line picker (in a tab of its own, not the portal's frame).</summary>
    private static async Task SelectLineAsync(IPage page, int lineId) =>
        await page.Locator($"[data-testid=line-row][data-line-id='{lineId}'] [data-testid=line-select]").ClickSurelyAsync();

    private static async Task AssertAccessible(IPage page, string what)
    {
        // Judge the settled page: no transition (a dialog fading in) half-way through its colours.
        await page.WaitForFunctionAsync("() => document.getAnimations().every(a => a.playState !== 'running')");
        AxeResult result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{what}: " + string.Join(Environment.NewLine, serious.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help}; " + string.Join(" | ", v.Nodes.Take(4).Select(n => n.Html)))));
    }
}
