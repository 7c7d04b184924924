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
