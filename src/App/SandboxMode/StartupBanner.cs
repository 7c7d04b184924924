using LineBridge.Messages;
using LineBridge.Sandbox;

namespace LineBridge.SandboxMode;

/// <summary>Tells the person who just ran the app where to go: the app's address and, in sandbox mode, the portal's.</summary>
public static class StartupBanner
{
    public static void PrintStartupBanner(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var address = SandboxModeExtensions.ListeningAddress(app) ?? "(unknown)";
            var sandbox = app.Services.GetService<SandboxHost>();
            var lines = new List<string> { "", "LineBridge is running.", $"  App:            {address}" };
            if (sandbox is not null)
            {
                foreach (var portal in sandbox.Portals)
                    lines.Add($"  Sandbox portal: {portal.BaseUri.ToString().TrimEnd('/')}   <- open this in a browser");
                // The sandbox portal's API key is made at first start and shown this once; only its hash is kept.
                var apiKeys = app.Services.GetRequiredService<ApiKeys>();
                if (apiKeys.EnsureKeyAsync(sandbox.Portals[0].MemberId).GetAwaiter().GetResult() is { } key)
                    lines.Add($"  API key of the sandbox portal (shown once, stored hashed): {key}");
            }
            else
            {
                lines.Add("  Real portal mode: install it from your Bitrix24 portal (install.md).");
            }
            lines.Add("");
            // Written to the console, not the log: it is for the person at the terminal, once.
            Console.WriteLine(string.Join(Environment.NewLine, lines));
        });
    }
}
