using LineBridge.EndToEnd.Infrastructure;

namespace LineBridge.EndToEnd;

public sealed class InstallJourneyTests(Browser browser)
{
    [Fact]
    public async Task Administrator_InstallsFromThePortal_AndLandsOnTheInteractiveAppPageInsideIt()
    {
        await using var app = await SandboxedApp.StartAsync(install: false, cancellationToken: TestContext.Current.CancellationToken);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);

        await portal.OpenAppAsync();

        // The install page calls BX24.installFinish(); the portal marks the app installed, reloads, and frames the
        // handler page, where LineBridge shows the portal's open lines.
        await Assertions.Expect(portal.InApp("line-row").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        Assert.True(app.Portal.AppInstalled);
        Assert.Contains(app.Portal.Calls, c => c.Method == "imconnector.register");
        Assert.Contains("install_finished=Y", portal.Page.Url);

        // The framed page is live over its circuit: picking a line shows that line's messages without a reload.
        await portal.InApp("line-select").First.ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("message-list")).ToBeVisibleAsync();

        await context.CloseAsync();
    }
}
