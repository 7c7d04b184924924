using LineBridge.Sandbox;

namespace LineBridge.EndToEnd.Infrastructure;

/// <summary>A browser tab on the sandbox portal, with the LineBridge frame inside it.</summary>
public sealed class PortalPage
{
    private const int ConsoleLines = 40;
    private const int AppLogLines = 60;

    private readonly SandboxPortal portal;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _console = new();

    public PortalPage(IPage page, SandboxPortal portal)
    {
        Page = page;
        this.portal = portal;
        // Kept for failure messages: Blazor reports a circuit that failed or lost its connection only here.
        page.Console += (sender, message) =>
        {
            _console.Enqueue($"{message.Type}: {message.Text}");
            while (_console.Count > ConsoleLines) _console.TryDequeue(out _);
        };
    }

    public IPage Page { get; }

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

    /// <summary>
    /// Runs one step of a journey; when it fails, the failure says what the app's frame showed (its address, its text,
    /// any error notice) and what the browser's console said, since a page snapshot does not reach into the frame.
    /// </summary>
    public async Task StepAsync(string what, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            throw new InvalidOperationException($"{what} failed. {await DescribeAppAsync()}", ex);
        }
    }

    /// <summary>What the app's frame shows now, for a failure message (never throws).</summary>
    public async Task<string> DescribeAppAsync()
    {
        var frame = Page.Frames.FirstOrDefault(f => f != Page.MainFrame);
        string text;
        try
        {
            text = await App.Locator("body").InnerTextAsync(new() { Timeout = 5_000 });
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            text = "(unreadable: " + ex.Message + ")";
        }
        // The ticket opens a session: it stays out of test output.
        var address = frame is null ? "(no frame)" : System.Text.RegularExpressions.Regex.Replace(frame.Url, "ticket=[^&]*", "ticket=…");
        return $"The app's frame was at {address} and showed:\n{text.Trim()}\n" +
            $"Browser console (last {ConsoleLines}):\n{string.Join("\n", _console)}\n" +
            $"The app's log (last {AppLogLines}):\n{string.Join("\n", (SandboxedApp.ForPortal(portal)?.Log?.Lines ?? []).TakeLast(AppLogLines))}";
    }
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
    /// Messages; returns the key. Each click waits for the state that gives it its meaning (the line connected, the
    /// line's own panel loaded), and a failure says what the frame showed.
    /// </summary>
    public static async Task<string> ConnectLineAndCreateKeyAsync(this PortalPage portal, int lineId)
    {
        var row = portal.LineRow(lineId);
        await portal.StepAsync("Opening Settings", async () =>
        {
            await portal.InApp("nav-settings").ClickSurelyAsync();
            await Assertions.Expect(portal.InApp("settings-view")).ToBeVisibleAsync();
        });
        await portal.StepAsync($"Connecting line {lineId}", async () =>
        {
            await row.Locator("[data-testid=connect-button]").ClickSurelyAsync();
            await Assertions.Expect(row.Locator("[data-testid=disconnect-button]")).ToBeVisibleAsync();
        });
        await portal.StepAsync($"Selecting line {lineId}", async () =>
        {
            await row.Locator("[data-testid=line-select]").ClickSurelyAsync();
            // The panel of this line, loaded: its address names the line, and the key's state is shown.
            await Assertions.Expect(row).ToHaveAttributeAsync("data-selected", "true");
            await Assertions.Expect(portal.InApp("api-address")).ToHaveValueAsync(
                new System.Text.RegularExpressions.Regex($"/lines/{lineId}/messages$"));
            await Assertions.Expect(portal.InApp("key-state")).ToBeVisibleAsync();
        });
        await portal.CreateKeyAsync();
        var key = await portal.InApp("api-key").InputValueAsync();
        await portal.StepAsync("Going back to Messages", async () =>
        {
            await portal.InApp("nav-messages").ClickSurelyAsync();
            await Assertions.Expect(portal.InApp("messages-view")).ToBeVisibleAsync();
        });
        return key;
    }

    /// <summary>
    /// As an administrator in Settings with a line selected: clicks "Create an API key" (confirming a replacement if
    /// the portal already has one) and waits for the new key to show; an error shown instead fails with its text.
    /// </summary>
    public static async Task CreateKeyAsync(this PortalPage portal)
    {
        await portal.StepAsync("Creating the API key", async () =>
        {
            // Whatever the click leads to: the new key, a confirmation (the portal already had a key), or an error.
            var notice = portal.InApp("new-key-notice");
            var confirm = portal.InApp("rotate-confirm");
            var error = portal.InApp("api-error");
            var outcome = notice.Or(confirm).Or(error);
            // A click the browser did not deliver to the frame is clicked again (Clicks.ClickSurelyAsync); one that
            // reached the frame must have its effect: no second chance here, or a lost handler would pass unseen.
            await portal.InApp("rotate-key").ClickSurelyAsync();
            await Assertions.Expect(outcome).ToBeVisibleAsync();
            if (await error.IsVisibleAsync()) throw new PlaywrightException("The app showed an error: " + await error.InnerTextAsync());
            if (await confirm.IsVisibleAsync()) await confirm.ClickSurelyAsync();
            await Assertions.Expect(notice).ToBeVisibleAsync();
        });
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
