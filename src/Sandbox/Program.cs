using System.Globalization;
using LineBridge.Sandbox;

// Standalone sandbox portal for local use: `dotnet run --project src/Sandbox [-- --port 5090 --state data/sandbox.json]`.
var options = new SandboxOptions
{
    Portals = [new SandboxPortalOptions { Host = "localhost", Port = ArgOr("--port", 5090) }],
    StateFile = Arg("--state"),
};
await using var sandbox = await SandboxHost.StartAsync(options);
var portal = sandbox.Portals[0];

// The banner is the one place the client secret is shown: this process exists for a developer at a terminal.
Console.WriteLine($"""
    LineBridge sandbox portal
      portal:        {portal.BaseUri}
      member_id:     {portal.MemberId}
      client_id:     {sandbox.App.ClientId}
      client_secret: {sandbox.App.ClientSecret}
      handler URL:   {sandbox.App.HandlerUrl}
      install URL:   {sandbox.App.InstallUrl}

    Get an access token for user 1 and call REST:
      curl -s '{portal.BaseUri}_sandbox/token?user=1'
      curl -s '{portal.RestUri}imopenlines.config.list.get' -H 'Authorization: Bearer <access_token>'
    Press Ctrl+C to stop.
    """);
await sandbox.WaitForShutdownAsync();

string? Arg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

int ArgOr(string name, int fallback) => int.TryParse(Arg(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
