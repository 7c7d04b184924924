namespace LineBridge.SandboxMode;

/// <summary>The in-process sandbox portal started when no real portal is configured. Section <c>Sandbox</c>.</summary>
public sealed class SandboxModeOptions
{
    public const string Section = "Sandbox";

    /// <summary>
    /// Host of the sandbox portal. <c>localhost</c> keeps it on another site than the app (<c>127.0.0.1</c>), so the
    /// browser frames the app cross-site, exactly as a real portal does.
    /// </summary>
    public string Host { get; set; } = "localhost";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; } = 5090;

    /// <summary>How many portals to emulate (the second and later take the next ports, or free ones).</summary>
    public int Portals { get; set; } = 1;

    /// <summary>Access-token lifetime of the sandbox's OAuth server.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);
}
