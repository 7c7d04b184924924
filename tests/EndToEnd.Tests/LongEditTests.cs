using LineBridge.EndToEnd.Infrastructure;

namespace LineBridge.EndToEnd;

/// <summary>
/// Issue 15 in Chromium: the circuit takes the largest message the UI sends. The edit dialog sends its whole text at
/// every keystroke; 20,000 Cyrillic characters (the longest text a message may have) are 40,000 bytes in UTF-8, over
/// Blazor's default 32 KB receive limit, which ended the page's circuit instead of saving the edit.
/// </summary>
public sealed class LongEditTests(Browser browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnEditOfTheLongestRussianText_IsSaved_AndThePageKeepsWorking()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync(height: 700);
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 1));
        await external.SendAsync(1, "chat-1", "m-1", "Короткий ответ");
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("message-row")).ToHaveCountAsync(1);

        const string start = "Длинный ответ: ";
        var text = start + new string('ж', 20_000 - start.Length);
        await portal.MessageRow("Короткий ответ").Locator("[data-testid=edit-button]").ClickSurelyAsync();
        await portal.InApp("edit-text").FillAsync(text);
        await portal.InApp("edit-save").ClickSurelyAsync();

        await Assertions.Expect(portal.MessageRow(start).Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");
        Assert.Contains(text, app.Portal.Dialogs.SelectMany(d => d.Messages).Select(m => m.Text));
        await Assertions.Expect(portal.InApp("circuit-error")).ToBeHiddenAsync();
    }
}
