using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace LineBridge.Proxy;

/// <summary>
/// The reverse proxies LineBridge trusts (section <c>ForwardedHeaders</c>). Behind a proxy (nginx terminating TLS),
/// the connection comes from the proxy: only when it is listed here are its <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> believed, so per-client limits see the client's address and the request its https scheme.
/// Nothing listed (the default): the headers are ignored, whoever sends them.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies, e.g. <c>127.0.0.1</c> (nginx on the same host) or <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, e.g. <c>10.0.0.0/24</c> or <c>fd00::/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in a row to unwind (entries of <c>X-Forwarded-For</c> read from the right); 1 to 10.</summary>
    public int ForwardLimit { get; set; } = 1;

    /// <summary>True when at least one proxy or network is trusted.</summary>
    public bool Enabled => KnownProxies.Count > 0 || KnownNetworks.Count > 0;
}

/// <summary>Wires <see cref="ForwardedHeadersSettings"/> into ASP.NET Core's forwarded-headers middleware.</summary>
public static class ForwardedHeadersSetup
{
    /// <summary>Binds and validates <c>ForwardedHeaders</c>; a wrong address or network stops the start and says which.</summary>
    public static IHostApplicationBuilder AddForwardedHeadersFromSettings(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardedHeadersSettings>().BindConfiguration(ForwardedHeadersSettings.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, Validator>();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((options, settings) =>
        {
            var configured = settings.Value;
            // Host stays as sent: portals and links use Bitrix24:PublicBaseUrl, never a forwarded host name.
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = configured.ForwardLimit;
            // Only what is configured: the framework's defaults (loopback) would trust any local process.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in configured.KnownProxies) options.KnownProxies.Add(IPAddress.Parse(proxy.Trim()));
            foreach (var network in configured.KnownNetworks) options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network.Trim()));
        });
        return builder;
    }

    /// <summary>First in the pipeline: applies the forwarded headers of trusted proxies (none configured: does nothing).</summary>
    public static WebApplication UseForwardedHeadersFromSettings(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ForwardedHeadersSettings>>().Value.Enabled) app.UseForwardedHeaders();
        return app;
    }

    private sealed class Validator : IValidateOptions<ForwardedHeadersSettings>
    {
        public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings options)
        {
            var failures = new List<string>();
            for (var i = 0; i < options.KnownProxies.Count; i++)
            {
                if (!IPAddress.TryParse(options.KnownProxies[i]?.Trim(), out _))
                    failures.Add($"{ForwardedHeadersSettings.Section}:KnownProxies:{i} is '{options.KnownProxies[i]}': give an IP address, e.g. 127.0.0.1 or 10.0.0.5.");
            }
            for (var i = 0; i < options.KnownNetworks.Count; i++)
            {
                if (!System.Net.IPNetwork.TryParse(options.KnownNetworks[i]?.Trim(), out _))
                    failures.Add($"{ForwardedHeadersSettings.Section}:KnownNetworks:{i} is '{options.KnownNetworks[i]}': give a network in CIDR notation, e.g. 10.0.0.0/24.");
            }
            if (options.ForwardLimit is < 1 or > 10)
                failures.Add($"{ForwardedHeadersSettings.Section}:ForwardLimit is {options.ForwardLimit}: give the number of proxies in front of LineBridge, 1 to 10.");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
