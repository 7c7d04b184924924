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

    /// <summary>
    /// As an administrator on the app page: in Settings, connects a line and creates the API key, then goes back to
    /// Messages; returns the key.
    /// </summary>
    public static async Task<string> ConnectLineAndCreateKeyAsync(this PortalPage portal, int lineId)
    {
        await portal.InApp("nav-settings").ClickAsync();
        await portal.LineRow(lineId).Locator("[data-testid=connect-button]").ClickAsync();
        await Assertions.Expect(portal.LineRow(lineId).Locator("[data-testid=disconnect-button]")).ToBeVisibleAsync();
        await portal.LineRow(lineId).Locator("[data-testid=line-select]").ClickAsync();
        await portal.InApp("rotate-key").ClickAsync();
        await Assertions.Expect(portal.InApp("new-key-notice")).ToBeVisibleAsync();
        var key = await portal.InApp("api-key").InputValueAsync();
        await portal.InApp("nav-messages").ClickAsync();
        await Assertions.Expect(portal.InApp("messages-view")).ToBeVisibleAsync();
        return key;
    }

    /// <summary>The address the portal framed (the app page with its ticket), to open the app alone in a tab.</summary>
    public static async Task<string> AppFrameUrlAsync(this PortalPage portal, string page = "/lines")
    {
        await Assertions.Expect(portal.InApp("session-user")).ToBeVisibleAsync();
        return portal.Page.Frames.First(f => f.Url.Contains(page + "?", StringComparison.Ordinal)).Url;
    }
}
