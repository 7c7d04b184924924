using LineBridge.Messages;
using LineBridge.Sandbox;
using LineBridge.Storage;

namespace LineBridge.SandboxMode;

/// <summary>Tells the person who just ran the app where to go: the app's address and, in sandbox mode, the portal's.</summary>
public static class StartupBanner
{
    /// <summary>
    /// The first start's banner (addresses and the sandbox's API key) is also kept in this file of the data folder,
    /// readable by the owner only, so the key is not lost when the console scrolls.
    /// </summary>
    public const string FileName = "first-start.txt";

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
                {
                    lines.Add($"  API key of the sandbox portal (shown once, stored hashed): {key}");
                    var file = WriteOwnerOnly(
                        Path.Combine(StorageServiceCollectionExtensions.DataDirectory(app.Configuration, app.Environment), FileName),
                        string.Join(Environment.NewLine, lines.Skip(1)) + Environment.NewLine);
                    lines.Add($"  (also written to {file}, readable only by you)");
                }
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

    /// <summary>Writes <paramref name="text"/> to a new file only its owner can read or write; returns the full path.</summary>
    public static string WriteOwnerOnly(string path, string text)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (File.Exists(full)) File.Delete(full);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        // Created with 0600 from the start, so the key is never readable by others, not even for a moment.
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(full, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }
        return full;
    }
}
