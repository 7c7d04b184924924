namespace LineBridge.Install;

/// <summary>
/// Who LineBridge is to Bitrix24. Section <c>Bitrix24</c>. ClientId/ClientSecret come from environment variables or
/// user-secrets (never from a committed file); in sandbox mode the in-process sandbox supplies them.
/// </summary>
public sealed class Bitrix24AppOptions
{
    public const string Section = "Bitrix24";

    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }

    /// <summary>The app's public base URL as portals reach it, e.g. <c>https://linebridge.example.com</c>.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The OAuth server that refreshes tokens. Cloud: <c>https://oauth.bitrix.info/</c>.</summary>
    public string OAuthServer { get; set; } = "https://oauth.bitrix.info/";

    /// <summary>Our connector's id on every portal (lower case, no dots).</summary>
    public string ConnectorId { get; set; } = "linebridge";

    public string ConnectorName { get; set; } = "LineBridge";

    /// <summary>
    /// Bitrix24's cloud portal domains, allowed to frame the install page only (its portal is not installed yet, so its
    /// origin is not known). Customer-published hosts (<c>*.bitrix24.site</c>, <c>*.bitrix24.shop</c>) are not portals
    /// and are deliberately absent. Every other page may be framed only by installed portals' origins.
    /// </summary>
    public List<string> FrameAncestors { get; set; } =
    [
        "https://*.bitrix24.com", "https://*.bitrix24.ru", "https://*.bitrix24.de", "https://*.bitrix24.eu",
        "https://*.bitrix24.es", "https://*.bitrix24.fr", "https://*.bitrix24.it", "https://*.bitrix24.pl",
        "https://*.bitrix24.ua", "https://*.bitrix24.kz", "https://*.bitrix24.by", "https://*.bitrix24.in",
        "https://*.bitrix24.jp", "https://*.bitrix24.cn", "https://*.bitrix24.com.br", "https://*.bitrix24.com.tr",
        "https://*.bitrix24.uk",
    ];

    /// <summary>Origins of self-hosted Bitrix24 portals (e.g. <c>https://portal.example.com</c>), allowed to frame the install page.</summary>
    public List<string> SelfHostedOrigins { get; set; } = [];

    /// <summary>
    /// Origins of the in-process sandbox portals (sandbox mode only), allowed to frame the app beside
    /// <see cref="FrameAncestors"/>. Set by the sandbox wiring, not by hand.
    /// </summary>
    public List<string> SandboxOrigins { get; set; } = [];

    /// <summary>The portal's leaky bucket: drain rate (requests/s) and burst. Enterprise plans: 5 and 250.</summary>
    public double RequestsPerSecond { get; set; } = 2;
    public int Burst { get; set; } = 50;
}
