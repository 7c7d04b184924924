using LineBridge.Install;
using Microsoft.Extensions.Options;

namespace LineBridge.Placement;

/// <summary>Who may frame the app: the configured portal origins (and the sandbox portals in sandbox mode), nobody else.</summary>
public static class Framing
{
    /// <summary>The value of CSP <c>frame-ancestors</c>, e.g. <c>'self' https://*.bitrix24.com</c>.</summary>
    public static string FrameAncestorsPolicy(Bitrix24AppOptions options) =>
        string.Join(' ', new[] { "'self'" }.Concat(options.FrameAncestors).Concat(options.SandboxOrigins)
            .Where(o => !string.IsNullOrWhiteSpace(o)).Distinct(StringComparer.OrdinalIgnoreCase));

    /// <summary>The policy for the current options (for <c>ContentSecurityFrameAncestorsPolicy</c> in Program.cs).</summary>
    public static string FrameAncestorsPolicy(IServiceProvider services) =>
        FrameAncestorsPolicy(services.GetRequiredService<IOptions<Bitrix24AppOptions>>().Value);
}
