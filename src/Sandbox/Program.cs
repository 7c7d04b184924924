using System.Globalization;
using LineBridge.Sandbox;
using Microsoft.Extensions.Configuration;

// Standalone sandbox portal for local use:
//   dotnet run --project src/Sandbox [-- --port 5090 --https-port 5443 --oauth-port 5099 --state data/sandbox.json]
// As on any ASP.NET Core host, --urls (or ASPNETCORE_URLS) chooses the listeners instead of --port/--https-port:
//   dotnet run --project src/Sandbox --urls "http://127.0.0.2:5090;https://127.0.0.2:5443"
var configuration = new ConfigurationBuilder()
    .AddEnvironmentVariables("ASPNETCORE_")
    .AddCommandLine(FilterKnown(args))
    .Build();

List<SandboxPortalOptions> portals;
try
{
    portals = SandboxUrls.Parse(configuration["urls"]);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"Cannot start the sandbox: {ex.Message}");
    return 2;
}
if (portals.Count == 0)
{
    portals = [new SandboxPortalOptions
    {
        Host = "localhost",
        Port = ArgOr("--port", 5090),
        HttpsPort = Arg("--https-port") is null ? null : ArgOr("--https-port", 0),
    }];
}
var options = new SandboxOptions
{
    Portals = portals,
    OAuthPort = ArgOr("--oauth-port", 0),
    StateFile = Arg("--state"),
};
await using var sandbox = await SandboxHost.StartAsync(options);
var portal = sandbox.Portals[0];
var others = string.Concat(sandbox.Portals.Skip(1).Select(p => $"{Environment.NewLine}  portal:        {p.BaseUri}"));
var https = portal.HttpsBaseUri is { } secure
    ? $"{Environment.NewLine}  https:         {secure} (self-signed, generated at start: GET {portal.BaseUri}_sandbox/certificate){Environment.NewLine}  webhook:       {portal.HttpsWebhookUri}"
    : "";

// The banner is the one place the client secret is shown: this process exists for a developer at a terminal.
Console.WriteLine($"""
    LineBridge sandbox portal
      portal:        {portal.BaseUri}{https}{others}
      OAuth server:  {sandbox.OAuthUri}
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
return 0;

string? Arg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

int ArgOr(string name, int fallback) => int.TryParse(Arg(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

// Our own switches are read above; the configuration sees only the rest (--urls and friends).
static string[] FilterKnown(string[] all)
{
    var known = new[] { "--port", "--https-port", "--oauth-port", "--state" };
    var rest = new List<string>();
    for (var i = 0; i < all.Length; i++)
    {
        if (known.Contains(all[i])) { i++; continue; }
        rest.Add(all[i]);
    }
    return [.. rest];
}
