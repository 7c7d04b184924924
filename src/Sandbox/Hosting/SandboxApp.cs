using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox;

/// <summary>The seeded local application: one client id and secret, valid on every portal of the sandbox.</summary>
public sealed class SandboxApp
{
    private readonly SandboxCore _core;

    internal SandboxApp(SandboxCore core) => _core = core;

    /// <summary>Like <c>local.5c8bb1b0891cf2.87252039</c>.</summary>
    public string ClientId => Read(s => s.ClientId);

    /// <summary>Generated at first start; kept only in memory or the state file. Never log it.</summary>
    public string ClientSecret => Read(s => s.ClientSecret);

    /// <summary>The handler path: frames with PLACEMENT=DEFAULT once installed, and the OAuth redirect.</summary>
    public string HandlerUrl => Read(s => s.HandlerUrl);

    /// <summary>The initial installation path: framed until the install finished.</summary>
    public string InstallUrl => Read(s => s.InstallUrl);

    /// <summary>Comma-separated scopes.</summary>
    public string Scopes => Read(s => s.Scopes);

    private string Read(Func<SandboxState, string> read)
    {
        lock (_core.Gate) return read(_core.State);
    }
}
