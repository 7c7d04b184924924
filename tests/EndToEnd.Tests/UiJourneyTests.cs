using LineBridge.EndToEnd.Infrastructure;
using LineBridge.Sandbox;

namespace LineBridge.EndToEnd;

/// <summary>
/// Issue 13 in Chromium, the app framed cross-site by the sandbox portal: an administrator's Settings and an
/// operator's Messages, each showing what that person can act on, in words they can use.
/// </summary>
public sealed class UiJourneyTests(Browser browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Administrator_Settings_GiveTheLinesFullAddressAndCurl_AndCopyWorksInTheFrameFromTheKeyboard()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();

        // Two places: Messages (where the app opens) and Settings.
        await Assertions.Expect(portal.InApp("messages-view")).ToBeVisibleAsync();
        await Assertions.Expect(portal.InApp("connect-button")).ToHaveCountAsync(0);
        await portal.InApp("nav-settings").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("settings-view")).ToBeVisibleAsync();
        await portal.LineRow(1).Locator("[data-testid=connect-button]").ClickSurelyAsync();
        await Assertions.Expect(portal.LineRow(1).Locator("[data-testid=disconnect-button]")).ToBeVisibleAsync();
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();

        // The full address with the line's id, its name beside it, and a ready example with a placeholder key.
        await Assertions.Expect(portal.InApp("api-address")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(@"^http://127\.0\.0\.1:\d+/api/v1/lines/1/messages$"));
        await Assertions.Expect(portal.InApp("api-line")).ToContainTextAsync("Website chat");
        await Assertions.Expect(portal.InApp("api-curl")).ToContainTextAsync("/api/v1/lines/1/messages");
        await Assertions.Expect(portal.InApp("api-curl")).ToContainTextAsync("Bearer YOUR_API_KEY");
        await Assertions.Expect(portal.InApp("webhook-panel")).ToBeVisibleAsync();

        // The copy button is the next Tab stop after the address, and copying works although the frame has no
        // clipboard permission (the portal filled it with a form POST).
        await portal.InApp("api-address").FocusAsync();
        await portal.Page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(portal.InApp("copy-address")).ToBeFocusedAsync();
        await portal.Page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(portal.InApp("copy-result")).ToHaveAttributeAsync("data-copied", "true");

        // A new key fills the example, once.
        await portal.CreateKeyAsync();
        var key = await portal.InApp("api-key").InputValueAsync();
        await Assertions.Expect(portal.InApp("api-curl")).ToContainTextAsync($"Bearer {key}");

        await context.CloseAsync();
    }

    [Fact]
    public async Task Operator_SeesOnlyMessages_FindsAChatByPartOfItsNameOrId_AndReplacesWithinOneChat()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        await external.SendAsync(1, "order-1042", "m-1", "Where is my order?", "alice", "Alice", "Order #1042");
        await external.SendAsync(1, "order-1042", "m-2", "It was due yesterday.", "alice", "Alice", "Order #1042");
        await external.SendAsync(1, "refund-77", "m-3", "I want a refund.", "bob", "Bob", "Refund 77");

        await portal.OpenAppAsync(userId: 2);
        await Assertions.Expect(portal.InApp("session-user")).ToContainTextAsync("Oleg Operator");
        await Assertions.Expect(portal.InApp("places")).ToHaveCountAsync(0);
        await Assertions.Expect(portal.InApp("webhook-panel")).ToHaveCountAsync(0);
        await Assertions.Expect(portal.InApp("api-access")).ToHaveCountAsync(0);
        await Assertions.Expect(portal.InApp("connect-button")).ToHaveCountAsync(0);
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("message-row")).ToHaveCountAsync(3);

        // The chat as the table shows it (name and id), found by part of either, in any case.
        await Assertions.Expect(portal.MessageRow("refund").Locator("[data-testid=message-chat]")).ToContainTextAsync("Refund 77");
        await Assertions.Expect(portal.MessageRow("refund").Locator("[data-testid=message-chat-id]")).ToHaveTextAsync("refund-77");
        await portal.InApp("chat-filter").FillAsync("ORDER #10");
        await Assertions.Expect(portal.InApp("message-row")).ToHaveCountAsync(2);
        await portal.InApp("chat-filter").FillAsync("fund-7");
        await Assertions.Expect(portal.InApp("message-row")).ToHaveCountAsync(1);

        // Find and replace: within one chat for an operator; without a chat there is nothing to run.
        await Assertions.Expect(portal.InApp("find-replace-button")).ToContainTextAsync("in a chat");
        await portal.InApp("find-replace-button").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("replace-find")).ToBeFocusedAsync();
        await portal.InApp("replace-find").FillAsync("refund");
        await portal.InApp("replace-with").FillAsync("return");
        await Assertions.Expect(portal.InApp("replace-chat")).ToHaveValueAsync("fund-7");
        await portal.InApp("replace-chat").FillAsync("");
        await Assertions.Expect(portal.InApp("replace-preview-button")).ToBeDisabledAsync();
        await portal.InApp("replace-chat").FillAsync("Refund 77");
        await portal.InApp("replace-preview-button").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("replace-preview")).ToHaveCountAsync(1);

        await context.CloseAsync();
    }

    [Fact]
    public async Task Table_ClampsLongText_ListsFiles_SaysWhyAMessageWaits_AndNamesTheOperator()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        var longText = "Long start. " + string.Concat(Enumerable.Repeat("A very long complaint about the order. ", 125));
        await external.SendAsync(1, "order-1042", "m-long", longText, "alice", "Alice", "Order #1042");
        await external.SendRawAsync(1, new
        {
            user = new { id = "alice", name = "Alice" },
            chat = new { id = "order-1042", name = "Order #1042" },
            message = new { id = "m-file", files = new[] { new { url = "http://127.0.0.1:9/files/invoice-1042.pdf", name = "invoice-1042.pdf" } } },
        });
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.MessageRow("Long start").Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");

        // A 4,900-character text is a few lines in its row, the whole of it one click away.
        var longRow = portal.MessageRow("Long start");
        Assert.True((await longRow.BoundingBoxAsync())!.Height < 200, "the long row is clamped");
        await longRow.Locator("[data-testid=show-all]").ClickSurelyAsync();
        await Assertions.Expect(longRow.Locator("[data-testid=show-all]")).ToHaveAttributeAsync("aria-expanded", "true");
        Assert.True((await longRow.BoundingBoxAsync())!.Height > 300, "the whole text shows");

        // A files-only message lists its file, with its name and link.
        var file = portal.App.Locator("[data-testid=message-file]");
        await Assertions.Expect(file).ToHaveTextAsync("invoice-1042.pdf");
        await Assertions.Expect(file).ToHaveAttributeAsync("href", "http://127.0.0.1:9/files/invoice-1042.pdf");

        // The operator's reply shows the operator's and the chat's names, from the portal and our chat record.
        await SandboxedApp.WaitUntilAsync(() => app.Portal.Dialogs.SelectMany(d => d.Messages).Any(m => m.Text.StartsWith("Long start", StringComparison.Ordinal)),
            "the chat exists in the portal");
        await app.Portal.OperatorReplyAsync(1, "order-1042", "We are on it.", operatorUserId: 2);
        var reply = portal.MessageRow("We are on it.");
        await Assertions.Expect(reply).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(reply.Locator("[data-testid=message-user]")).ToContainTextAsync("Oleg Operator");
        await Assertions.Expect(reply.Locator("[data-testid=message-chat]")).ToContainTextAsync("Order #1042");

        // A send the portal keeps failing waits, and says why in a sentence.
        app.Sandbox.Faults.Set(new FaultSettings { ErrorRate = 1, Methods = ["imconnector.send.messages"] });
        await external.SendAsync(1, "order-1042", "m-wait", "Are you there?", "alice", "Alice", "Order #1042");
        var waiting = portal.MessageRow("Are you there?");
        await Assertions.Expect(waiting.Locator("[data-testid=status-reason]")).ToContainTextAsync("Waiting to retry: The portal failed inside (HTTP 500)", new() { Timeout = 30_000 });
        await Assertions.Expect(waiting.Locator("[data-testid=status-reason]")).ToContainTextAsync("attempt ");
        await Assertions.Expect(waiting.Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Queued");
        app.Sandbox.Faults.Clear();

        await context.CloseAsync();
    }

    [Fact]
    public async Task Dialogs_OpenInThePartOfTheFrameTheUserSees_WithFocusInTheFirstField_AndRevertCanBeUndone()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync(height: 700);
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        for (var i = 1; i <= 24; i++) await external.SendAsync(1, $"chat-{i % 3}", $"m-{i}", $"Message number {i:00} with a typo: teh");
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("message-row")).ToHaveCountAsync(24);

        // The portal sized its frame to the whole table; scroll the portal page to the last rows.
        var last = portal.MessageRow("Message number 01");
        await last.ScrollIntoViewIfNeededAsync();
        await portal.Page.EvaluateAsync("() => window.scrollTo(0, document.body.scrollHeight)");

        // Edit: focus is in the text, and the dialog's buttons are on screen.
        await last.Locator("[data-testid=edit-button]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("edit-text")).ToBeFocusedAsync();
        await AssertOnScreen(portal, portal.InApp("edit-save"));
        await portal.InApp("edit-text").FillAsync("Message number 01 with a typo: the");
        await portal.InApp("edit-save").ClickSurelyAsync();
        await Assertions.Expect(portal.MessageRow("typo: the").Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");

        // History: on screen too; a revert can be undone.
        await portal.Page.EvaluateAsync("() => window.scrollTo(0, document.body.scrollHeight)");
        await portal.MessageRow("Message number 01").Locator("[data-testid=history-button]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("history-entry")).ToHaveCountAsync(2);
        await AssertOnScreen(portal, portal.InApp("history-close"));
        await portal.InApp("revert-button").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("revert-undo")).ToContainTextAsync("Reverted to version 1");
        await Assertions.Expect(portal.MessageRow("Message number 01").Locator("[data-testid=message-text]")).ToContainTextAsync("typo: teh");
        await portal.InApp("revert-undo-button").ClickSurelyAsync();
        await Assertions.Expect(portal.MessageRow("Message number 01").Locator("[data-testid=message-text]")).ToContainTextAsync("typo: the");
        await Assertions.Expect(portal.MessageRow("Message number 01").Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");

        // Find and replace over the whole line (an administrator): actions and progress stay on screen.
        await portal.Page.EvaluateAsync("() => window.scrollTo(0, document.body.scrollHeight)");
        await portal.InApp("find-replace-button").ClickSurelyAsync();
        await portal.InApp("replace-find").FillAsync("teh");
        await portal.InApp("replace-with").FillAsync("the");
        await portal.InApp("replace-preview-button").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("replace-preview")).ToHaveCountAsync(23);
        await AssertOnScreen(portal, portal.InApp("replace-apply"));
        await portal.InApp("replace-apply").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("replace-progress")).ToHaveAttributeAsync("data-settled", "23", new() { Timeout = 60_000 });
        await AssertOnScreen(portal, portal.InApp("replace-progress"));
        await AssertOnScreen(portal, portal.InApp("replace-close"));

        await context.CloseAsync();
    }

    [Fact]
    public async Task Times_AreInTheUsersTimeZone_WithUtcOnHover_AndThePageAndTheServersTextsSpeakRussian()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync(timeZoneId: "Asia/Tokyo");
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        await external.SendAsync(1, "chat-1", "m-1", "Hello");

        await portal.OpenAppAsync(lang: "ru");
        await Assertions.Expect(portal.App.Locator("html")).ToHaveAttributeAsync("lang", "ru");
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        var time = portal.MessageRow("Hello").Locator("[data-testid=message-time]");
        await Assertions.Expect(time).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex(" UTC$"));
        var utc = DateTimeOffset.Parse(await time.GetAttributeAsync("datetime") ?? "", System.Globalization.CultureInfo.InvariantCulture);
        var tokyo = TimeZoneInfo.ConvertTime(utc, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));
        await Assertions.Expect(time).ToHaveTextAsync(tokyo.ToString("g", System.Globalization.CultureInfo.GetCultureInfo("ru")));
        await Assertions.Expect(portal.MessageRow("Hello").Locator("[data-testid=status-chip]")).ToHaveTextAsync("Отправлено");

        // What the server records for a message (here: why it waits to retry) reads in Russian too.
        app.Sandbox.Faults.Set(new FaultSettings { ErrorRate = 1, Methods = ["imconnector.send.messages"] });
        await external.SendAsync(1, "chat-1", "m-2", "Вы здесь?");
        var reason = portal.MessageRow("Вы здесь?").Locator("[data-testid=status-reason]");
        await Assertions.Expect(reason).ToContainTextAsync("Ожидает повтора: Внутренняя ошибка портала (HTTP 500)", new() { Timeout = 30_000 });
        await Assertions.Expect(reason).ToContainTextAsync("попытка ");
        await Assertions.Expect(reason).Not.ToContainTextAsync("Waiting");
        app.Sandbox.Faults.Clear();

        await context.CloseAsync();
    }

    [Fact]
    public async Task PhoneWidth_LinePickerKeepsConnectAndDisconnectOnScreen()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync(width: 390, height: 844);
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        await Assertions.Expect(portal.InApp("messages-view")).ToBeVisibleAsync();

        // The portal lists its lines slowly, as on a loaded machine (beyond Playwright's default 5 s for an
        // expectation): Settings shows the lines once they arrive, and the test waits for them.
        app.Sandbox.Faults.Set(new FaultSettings { Latency = TimeSpan.FromSeconds(6), Methods = ["imopenlines.config.list.get"] });
        await portal.InApp("nav-settings").ClickSurelyAsync();

        var connect = portal.LineRow(2).Locator("[data-testid=connect-button]");
        await Assertions.Expect(connect).ToBeVisibleAsync();
        var box = (await connect.BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"Connect spans {box.X}..{box.X + box.Width} of 390 px");
        app.Sandbox.Faults.Clear();
        await connect.ClickSurelyAsync();
        var disconnect = portal.LineRow(2).Locator("[data-testid=disconnect-button]");
        await Assertions.Expect(disconnect).ToBeVisibleAsync();
        box = (await disconnect.BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"Disconnect spans {box.X}..{box.X + box.Width} of 390 px");

        await context.CloseAsync();
    }

    /// <summary>The element lies within the browser's viewport (the portal page's), not just within the tall frame.</summary>
    private static async Task AssertOnScreen(PortalPage portal, ILocator element)
    {
        await Assertions.Expect(element).ToBeVisibleAsync();
        var box = (await element.BoundingBoxAsync())!;
        var height = portal.Page.ViewportSize!.Height;
        Assert.True(box.Y >= 0 && box.Y + box.Height <= height, $"{element} is at {box.Y}..{box.Y + box.Height}, the screen is 0..{height}");
    }
}
