using LineBridge.EndToEnd.Infrastructure;

namespace LineBridge.EndToEnd;

/// <summary>
/// The two places and the dialogs inside the sandbox portal's frame, each checked and photographed, at desktop and
/// phone width (390 x 844), and Messages in dark and in Russian. The PNGs go to a temp folder, or to the folder named by LINEBRIDGE_SCREENSHOTS; README's pictures come
/// from <c>LINEBRIDGE_SCREENSHOTS=$PWD/docs/screenshots dotnet test tests/EndToEnd.Tests --filter ScreenshotTests</c>.
/// </summary>
public sealed class ScreenshotTests(Browser browser)
{
    private static string Folder()
    {
        var folder = Environment.GetEnvironmentVariable("LINEBRIDGE_SCREENSHOTS") is { Length: > 0 } configured
            ? configured
            : Directory.CreateTempSubdirectory("linebridge-screenshots-").FullName;
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public async Task MainViews_RenderInsideThePortalFrame()
    {
        var folder = Folder();
        await using var app = await SandboxedApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        // Tall enough for the whole frame: resizing for a full-page shot makes the cross-origin frame repaint late.
        await page.SetViewportSizeAsync(1280, 1400);
        var portal = new PortalPage(page, app.Portal);
        await portal.OpenAppAsync();

        // Settings, an administrator's place: lines and their connection, the line's API access and webhook.
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        await portal.OpenAppAsync();
        await portal.InApp("nav-settings").ClickSurelyAsync();
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("api-curl")).ToContainTextAsync("/lines/1/messages");
        await Shoot(portal, folder, "settings.png");

        // Messages, the daily work: several chats, a long text clamped, a file, one message edited.
        await external.SendAsync(1, "order-1042", "m-1", "Hello! Where is my order [b]#1042[/b]?", "alice", "Alice", "Order #1042");
        await external.SendAsync(1, "order-1042", "m-2", "It was due yesterday.", "alice", "Alice", "Order #1042");
        await external.SendAsync(1, "refund-77", "m-3", "I would like a refund for my last purchase. " + string.Concat(Enumerable.Repeat("The parcel arrived damaged and the box was open. ", 12)), "bob", "Bob", "Refund 77");
        await external.SendRawAsync(1, new
        {
            user = new { id = "bob", name = "Bob" },
            chat = new { id = "refund-77", name = "Refund 77" },
            message = new { id = "m-4", text = "Photos of the parcel:", files = new[] { new { url = "http://127.0.0.1:9/files/parcel.jpg", name = "parcel.jpg" } } },
        });
        await external.SendAsync(1, "delivery-9", "m-5", "Can you deliver on Saturday?", "carol", "Carol", "Delivery");
        await portal.InApp("nav-messages").ClickSurelyAsync();
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.MessageRow("Saturday").Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");

        var row = portal.MessageRow("due yesterday");
        await row.Locator("[data-testid=edit-button]").ClickSurelyAsync();
        await portal.InApp("edit-text").FillAsync("It was due yesterday, [i]order #1042[/i].");
        await Assertions.Expect(portal.InApp("edit-preview")).ToContainTextAsync("order #1042");
        await Shoot(portal, folder, "edit-dialog.png");
        await portal.InApp("edit-save").ClickSurelyAsync();
        var edited = portal.MessageRow("order #1042.");
        await Assertions.Expect(edited.Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");
        await Shoot(portal, folder, "messages.png");

        await edited.Locator("[data-testid=history-button]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("history-entry")).ToHaveCountAsync(2);
        await Shoot(portal, folder, "history.png");
        await portal.InApp("history-close").ClickSurelyAsync();

        // At phone width (390 x 844, a common phone's screen): the same places, wrapped, nothing cut off; the shot is
        // what the phone shows first.
        await page.SetViewportSizeAsync(390, 844);
        await portal.OpenAppAsync();
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.MessageRow("Saturday")).ToBeVisibleAsync();
        await Shoot(portal, folder, "phone-messages.png");
        await portal.InApp("nav-settings").ClickSurelyAsync();
        await Assertions.Expect(portal.LineRow(1).Locator("[data-testid=disconnect-button]")).ToBeVisibleAsync();
        await Shoot(portal, folder, "phone-settings.png");

        // Dark (the app's toggle; the sandbox portal around it stays light) and Russian (the portal user's language).
        await page.SetViewportSizeAsync(1280, 1400);
        await portal.OpenAppAsync();
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.MessageRow("Saturday")).ToBeVisibleAsync();
        await portal.InApp("dark-mode-toggle").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("dark-mode-toggle")).ToHaveAttributeAsync("aria-label", "Switch to light theme");
        await Shoot(portal, folder, "dark-messages.png");
        await portal.OpenAppAsync(lang: "ru");
        await Assertions.Expect(portal.App.Locator("html")).ToHaveAttributeAsync("lang", "ru");
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.MessageRow("Saturday")).ToBeVisibleAsync();
        await Shoot(portal, folder, "ru-messages.png");

        foreach (var name in new[] { "settings.png", "messages.png", "edit-dialog.png", "history.png", "phone-messages.png", "phone-settings.png", "dark-messages.png", "ru-messages.png" })
            Assert.True(new FileInfo(Path.Combine(folder, name)).Length > 10_000, $"{name} looks empty");
        await context.CloseAsync();
    }

    private static async Task Shoot(PortalPage portal, string folder, string name)
    {
        // Photograph the settled page: no transition running in the frame (a dialog fading in), and two animation
        // frames of both documents painted since (a cross-origin frame paints after its DOM settles).
        const string painted = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))";
        await portal.App.Locator("body").EvaluateAsync("() => new Promise(done => { const check = () => document.getAnimations().every(a => a.playState !== 'running') ? done(true) : requestAnimationFrame(check); check(); })");
        await portal.App.Locator("body").EvaluateAsync(painted);
        await portal.Page.EvaluateAsync(painted);
        await portal.Page.ScreenshotAsync(new() { Path = Path.Combine(folder, name) });
    }
}
