using LineBridge.Sandbox;

namespace LineBridge.EndToEnd.Infrastructure;

/// <summary>A browser tab on the sandbox portal, with the LineBridge frame inside it.</summary>
public sealed class PortalPage(IPage page, SandboxPortal portal)
{
    public IPage Page { get; } = page;

    /// <summary>The app's iframe (cross-site: the portal is on 127.0.0.2, the app on 127.0.0.1).</summary>
    public IFrameLocator App => Page.FrameLocator("[data-testid=app-frame]");

    public ILocator InApp(string testId) => App.Locator($"[data-testid={testId}]");

    /// <summary>Opens the app page of the portal as user <paramref name="userId"/> (1 is the administrator).</summary>
    public async Task OpenAppAsync(int userId = 1, string? lang = null)
    {
        var query = $"?user={userId}" + (lang is null ? "" : $"&lang={lang}");
        await Page.GotoAsync(new Uri(portal.BaseUri, "marketplace/app/local/" + query).AbsoluteUri);
    }

    public async Task OpenAsync(string path) => await Page.GotoAsync(new Uri(portal.BaseUri, path).AbsoluteUri);
}

public static class PortalPageMessages
{
    /// <summary>The message table's row whose text contains <paramref name="text"/>.</summary>
    public static ILocator MessageRow(this PortalPage portal, string text) =>
        portal.App.Locator("tr:has([data-testid=message-row])").Filter(new() { HasText = text });

    /// <summary>The line picker's row of a line.</summary>
    public static ILocator LineRow(this PortalPage portal, int lineId) =>
        portal.App.Locator($"[data-testid=line-row][data-line-id='{lineId}']");

    /// <summary>As an administrator on the app page: connects a line and creates the API key; returns the key.</summary>
    public static async Task<string> ConnectLineAndCreateKeyAsync(this PortalPage portal, int lineId)
    {
        await portal.LineRow(lineId).Locator("[data-testid=connect-button]").ClickAsync();
        await Assertions.Expect(portal.LineRow(lineId).Locator("[data-testid=disconnect-button]")).ToBeVisibleAsync();
        await portal.InApp("rotate-key").ClickAsync();
        await Assertions.Expect(portal.InApp("new-key-notice")).ToBeVisibleAsync();
        return await portal.InApp("api-key").InputValueAsync();
    }
}
