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

    /// <summary>
    /// Opens the app page the portal frames (the app page, or Contact Center's connector settings) alone in a new tab,
    /// as a browser would: the portal's own frame form (its AUTH_ID and the rest) is POSTed once more, to the new tab
    /// instead of the frame, so LineBridge verifies the user and issues a fresh ticket. The address the frame shows
    /// cannot be reused: a ticket opens one session, once (issue 11).
    /// </summary>
    public static async Task<IPage> OpenAppAloneAsync(this PortalPage portal)
    {
        await Assertions.Expect(portal.InApp("session-user")).ToBeVisibleAsync();
        var tab = await portal.Page.Context.RunAndWaitForPageAsync(() => portal.Page.EvaluateAsync("""
            () => {
                const form = document.getElementById('app-frame-form').cloneNode(true);
                form.removeAttribute('id');
                form.target = '_blank';
                document.body.appendChild(form);
                form.submit();
                form.remove();
            }
            """));
        await Assertions.Expect(tab.GetByTestId("session-user")).ToBeVisibleAsync();
        return tab;
    }
}
