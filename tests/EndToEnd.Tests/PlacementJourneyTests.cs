using LineBridge.EndToEnd.Infrastructure;

namespace LineBridge.EndToEnd;

/// <summary>Contact Center's connector tile, the portal's language, and who may change what.</summary>
public sealed class PlacementJourneyTests(Browser browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConnectorSettingsPlacement_OpensThatLinesSettings_AndFinishesTheConnection()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);

        // Contact Center: the LineBridge tile, line 2, Connect. The portal frames our SETTING_CONNECTOR page for it.
        await portal.OpenAsync("contact_center/");
        await portal.Page.Locator("[data-testid=connector-line-linebridge]").SelectOptionAsync("2");
        await portal.Page.Locator("[data-testid=connector-connect-linebridge]").ClickSurelyAsync();

        // The app opens straight into that line's settings and finishes the connection: no second Connect.
        var line = portal.InApp("line-row");
        await Assertions.Expect(line).ToHaveCountAsync(1);
        await Assertions.Expect(line).ToHaveAttributeAsync("data-line-id", "2");
        await Assertions.Expect(line.Locator("[data-testid=connector-status]")).ToHaveAttributeAsync("data-state", "Connected");
        await Assertions.Expect(line.Locator("[data-testid=disconnect-button]")).ToBeVisibleAsync();
        await Assertions.Expect(line.Locator("[data-testid=connect-button]")).ToHaveCountAsync(0);

        // The portal now has the connector working on line 2, with the connection data the portal shows.
        var status = Assert.Single(app.Portal.LineStatuses, s => s.Connector == "linebridge" && s.Line == 2);
        Assert.True(status.Status);
        Assert.EndsWith("/api/v1", status.Data["url"]);
        await Assertions.Expect(portal.InApp("api-address")).ToHaveValueAsync(status.Data["url"] + "/lines/2/messages");
        await Assertions.Expect(portal.InApp("webhook-panel")).ToBeVisibleAsync();

        await context.CloseAsync();
    }

    [Fact]
    public async Task AppPage_SpeaksRussian_WhenThePortalLanguageIsRussian()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);

        await portal.OpenAppAsync(lang: "ru");

        await Assertions.Expect(portal.App.GetByText("Открытые линии")).ToBeVisibleAsync();
        await Assertions.Expect(portal.InApp("nav-settings")).ToHaveTextAsync("Настройки");
        await portal.InApp("nav-settings").ClickSurelyAsync();
        await Assertions.Expect(portal.LineRow(1).Locator("[data-testid=connect-button]")).ToHaveTextAsync("Подключить");
        await Assertions.Expect(portal.App.GetByText("Open lines")).ToHaveCountAsync(0);

        await context.CloseAsync();
    }

    [Fact]
    public async Task Operator_SeesLinesReadOnly_AndCannotConnectOne()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);

        await portal.OpenAppAsync(userId: 2);

        await Assertions.Expect(portal.InApp("operator-note")).ToBeVisibleAsync();
        await Assertions.Expect(portal.LineRow(1)).ToBeVisibleAsync();
        await Assertions.Expect(portal.InApp("connect-button")).ToHaveCountAsync(0);
        await Assertions.Expect(portal.InApp("rotate-key")).ToHaveCountAsync(0);
        Assert.DoesNotContain(app.Portal.Calls, c => c.Method == "imconnector.activate");

        await context.CloseAsync();
    }
}
