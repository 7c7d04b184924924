using LineBridge.EndToEnd.Infrastructure;

namespace LineBridge.EndToEnd;

/// <summary>The operator's journeys of issue 5, in Chromium, with the app framed cross-site by the sandbox portal.</summary>
public sealed class MessageJourneyTests(Browser browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Administrator_ConnectsALine_AndAnEditedMessageReachesThePortal_WithHistoryAndRevert()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();

        var key = await portal.ConnectLineAndCreateKeyAsync(lineId: 1);
        await new ExternalSystem(app, key).SendAsync(1, "chat-1", "m-1", "Helo world");

        // The message sent through the API appears in the line's table and turns sent.
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        var row = portal.MessageRow("Helo world");
        await Assertions.Expect(row.Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");

        // Edit it: the row shows the new text and turns sent again without a reload.
        await row.Locator("[data-testid=edit-button]").ClickSurelyAsync();
        await portal.InApp("edit-text").FillAsync("Hello world");
        await portal.InApp("edit-save").ClickSurelyAsync();
        var edited = portal.MessageRow("Hello world");
        await Assertions.Expect(edited.Locator("[data-testid=edited-mark]")).ToBeVisibleAsync();
        await Assertions.Expect(edited.Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");

        // The portal's operator view holds the edited text, marked as edited.
        var online = await context.NewPageAsync();
        await online.GotoAsync(new Uri(app.Portal.BaseUri, "online/?line=1").AbsoluteUri);
        await Assertions.Expect(online.GetByText("Hello world")).ToBeVisibleAsync();
        await Assertions.Expect(online.GetByText("Helo world")).ToHaveCountAsync(0);

        // History shows both versions; reverting to the first is an edit that travels too.
        await edited.Locator("[data-testid=history-button]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("history-entry")).ToHaveCountAsync(2);
        await portal.InApp("revert-button").First.ClickSurelyAsync();
        var reverted = portal.MessageRow("Helo world");
        await Assertions.Expect(reverted.Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");
        await online.ReloadAsync();
        await Assertions.Expect(online.GetByText("Helo world")).ToBeVisibleAsync();

        await context.CloseAsync();
    }

    [Fact]
    public async Task Operator_FindsAndReplacesAcrossALine_WatchingTheProgress()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        var external = new ExternalSystem(app, await portal.ConnectLineAndCreateKeyAsync(lineId: 2));
        for (var i = 1; i <= 3; i++) await external.SendAsync(2, $"chat-{i}", $"m-{i}", $"Our colour number {i}");
        await external.SendAsync(2, "chat-1", "m-4", "Nothing to change here");

        await portal.LineRow(2).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.MessageRow("colour number 3")).ToBeVisibleAsync();
        await portal.InApp("find-replace-button").ClickSurelyAsync();
        await portal.InApp("replace-find").FillAsync("colour");
        await portal.InApp("replace-with").FillAsync("color");
        await portal.InApp("replace-preview-button").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("replace-old")).ToHaveCountAsync(3);
        await portal.InApp("replace-apply").ClickSurelyAsync();

        // The progress bar follows the edits until the portal took all three.
        var progress = portal.InApp("replace-progress");
        await Assertions.Expect(progress).ToBeVisibleAsync();
        await Assertions.Expect(progress).ToHaveAttributeAsync("data-settled", "3", new() { Timeout = 30_000 });
        await portal.InApp("replace-close").ClickSurelyAsync();
        for (var i = 1; i <= 3; i++)
        {
            await Assertions.Expect(portal.MessageRow($"Our color number {i}").Locator("[data-testid=status-chip]"))
                .ToHaveAttributeAsync("data-status", "Sent");
        }
        var texts = app.Portal.Dialogs.SelectMany(d => d.Messages).Select(m => m.Text).ToList();
        Assert.Equal(3, texts.Count(t => t.Contains("color number")));
        Assert.DoesNotContain(texts, t => t.Contains("colour"));
        Assert.Contains("Nothing to change here", texts);

        await context.CloseAsync();
    }
}
