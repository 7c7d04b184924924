using LineBridge.EndToEnd.Infrastructure;

namespace LineBridge.EndToEnd;

/// <summary>
/// Issue 13, what the other journeys leave out: a row's actions reached and used from the keyboard (they are plain
/// buttons answered by the table's one delegated handler), the files of a message in the edit dialog and the history,
/// and a copy that cannot reach the clipboard told as a warning.
/// </summary>
public sealed class UiKeyboardTests(Browser browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RowActions_WorkFromTheKeyboard_AndTheDialogsListTheMessagesFiles()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        await external.SendRawAsync(1, new
        {
            user = new { id = "bob", name = "Bob" },
            chat = new { id = "refund-77", name = "Refund 77" },
            message = new { id = "m-photo", text = "Photos of the parcel", files = new[] { new { url = "http://127.0.0.1:9/files/parcel.jpg", name = "parcel.jpg" } } },
        });
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        var row = portal.MessageRow("Photos of the parcel");
        await Assertions.Expect(row.Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");

        // Tab from the row's file link reaches Edit; Enter opens the edit dialog, focus in the text, the file listed.
        await row.Locator("[data-testid=message-file]").FocusAsync();
        await portal.Page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(row.Locator("[data-testid=edit-button]")).ToBeFocusedAsync();
        await portal.Page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(portal.InApp("edit-text")).ToBeFocusedAsync();
        await Assertions.Expect(portal.InApp("edit-file")).ToHaveTextAsync("parcel.jpg");
        await Assertions.Expect(portal.InApp("edit-file")).ToHaveAttributeAsync("href", "http://127.0.0.1:9/files/parcel.jpg");
        await portal.Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(portal.InApp("edit-text")).ToHaveCountAsync(0);

        // The next Tab stop is History; Space opens it, with the file beside the versions.
        await row.Locator("[data-testid=edit-button]").FocusAsync();
        await portal.Page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(row.Locator("[data-testid=history-button]")).ToBeFocusedAsync();
        await portal.Page.Keyboard.PressAsync("Space");
        await Assertions.Expect(portal.InApp("history-entry")).ToHaveCountAsync(1);
        await Assertions.Expect(portal.InApp("history-files")).ToContainTextAsync("parcel.jpg");

        await context.CloseAsync();
    }

    [Fact]
    public async Task ACopyThatCannotReachTheClipboard_IsToldAsAWarning()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        // A browser that refuses both ways to the clipboard (the permission and the selection fallback), in every frame.
        await context.AddInitScriptAsync("""
            if (navigator.clipboard) navigator.clipboard.writeText = () => Promise.reject(new Error("denied"));
            document.execCommand = () => false;
            """);
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        await portal.InApp("nav-settings").ClickSurelyAsync();
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();

        await portal.InApp("copy-address").ClickSurelyAsync();
        var result = portal.InApp("copy-result");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-copied", "false");
        await Assertions.Expect(result).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-warning-text"));
        await Assertions.Expect(result).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-success-text"));

        await context.CloseAsync();
    }
}
