using LineBridge.Sandbox;

await using var sandbox = await SandboxHost.StartAsync(new SandboxOptions
{
    Portals = [new SandboxPortalOptions { Host = "localhost", Port = 5090 }],
});
var portal = sandbox.Portals[0];
Console.WriteLine($"Sandbox portal: {portal.BaseUri}");
await sandbox.WaitForShutdownAsync();
