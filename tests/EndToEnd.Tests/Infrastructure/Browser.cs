using Microsoft.Playwright;
using Xunit;

namespace LineBridge.EndToEnd.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright. Playwright never downloads a browser here: we launch the system one.
/// Without Chromium, browser tests skip with a message, except under CI=true, where a missing browser is a failure.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private static readonly string[] CandidatePaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string? ExecutablePath =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured
            ? configured
            : CandidatePaths.FirstOrDefault(File.Exists);

    public static bool RunningInCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// How long an action or an expectation waits for its condition (ms). Playwright's expectations default to 5 s,
    /// which a loaded machine exceeds while the app asks the portal for its lines; wait as long as actions do.
    /// </summary>
    public const int WaitTimeoutMs = 30_000;

    public async ValueTask InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(WaitTimeoutMs);
        if (ExecutablePath is not { } path) return;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            // This machine has no network beyond loopback: keep Chromium from reaching out at all.
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
            ],
        });
    }

    /// <summary>A fresh context (own cookies and storage) for one test; skips or fails when there is no browser.</summary>
    public async Task<IBrowserContext> NewContextAsync(
        string? locale = null, string? timeZoneId = null, ColorScheme colorScheme = ColorScheme.Light, int width = 1280, int height = 900,
        bool ignoreHttpsErrors = false)
    {
        if (_browser is null)
        {
            const string message = "Chromium was not found (set CHROMIUM_PATH or install the 'chromium' package).";
            if (RunningInCi) Assert.Fail(message + " Browser tests must run under CI=true.");
            Assert.Skip(message + " Browser test skipped.");
        }
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale ?? "en-US",
            TimezoneId = timeZoneId ?? "UTC",
            ColorScheme = colorScheme,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            // For a throwaway self-signed certificate on loopback (the nginx tests); never otherwise.
            IgnoreHTTPSErrors = ignoreHttpsErrors,
        });
        // An upper bound only (each wait ends as soon as its condition holds), generous for a busy machine.
        context.SetDefaultTimeout(WaitTimeoutMs);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
