using LineBridge.Install;
using LineBridge.SandboxMode;
using Microsoft.Extensions.Options;

namespace LineBridge.OpenLines;

/// <summary>
/// The address the external system and portals reach LineBridge at: <c>Bitrix24:PublicBaseUrl</c> when configured
/// (required for real portals), else the address the app listens on (sandbox mode, tests).
/// </summary>
public sealed class PublicAddress(IOptions<Bitrix24AppOptions> options, IServiceProvider services)
{
    public string BaseUrl =>
        options.Value.PublicBaseUrl?.TrimEnd('/')
        ?? (services.GetService<WebApplicationReference>()?.App is { } app ? SandboxModeExtensions.ListeningAddress(app) : null)
        ?? "http://127.0.0.1:5080";

    public string ApiBaseUrl => $"{BaseUrl}/api/v1";
}

/// <summary>Lets services find the running app's addresses once it listens.</summary>
public sealed class WebApplicationReference
{
    public WebApplication? App { get; set; }
}
