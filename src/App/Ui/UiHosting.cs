using LineBridge.Messages;
using LineBridge.Proxy;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace LineBridge.Ui;

/// <summary>
/// The UI's hosting: Blazor Server with MudBlazor, and the server's hold on idle browser connections sized for a page
/// that stays open in a portal's frame (section <c>Ui</c>).
/// </summary>
public sealed class UiHostingSettings
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Ui";

    /// <summary>
    /// How long an idle HTTP connection (between requests; never the page's WebSocket, which is an upgraded request in
    /// progress) stays open, e.g. <c>00:00:10</c>. Unset: 10 s when browsers connect directly (no trusted proxy in
    /// <c>ForwardedHeaders</c>), Kestrel's own 130 s behind a proxy. Why: a page loads its scripts and styles once, over
    /// up to six connections, then lives on its WebSocket alone; Kestrel kept those idle connections for 130 s at
    /// ≈ 16 KB each, about 110 KB of each open page's memory (docs/benchmarks.md). Browsers open a new connection, or
    /// resend on one that closed under them, so a shorter hold costs a handshake, never a request. Behind a proxy the
    /// idle connections are the proxy's, and a proxy that pools its connections to the app must be the one to close
    /// them first (its idle timeout below this one), or a request it sends as the app closes fails: keep it above the
    /// proxy's (AWS ALB 60 s, nginx <c>keepalive_timeout</c> 60 s).
    /// </summary>
    public TimeSpan? IdleConnectionTimeout { get; set; }

    /// <summary>
    /// The largest message a page may send over its circuit, in bytes, for texts of up to <paramref name="maxTextLength"/>
    /// characters: twice that (so a text pasted over the limit still reaches validation, which says so) at 3 bytes per
    /// character (UTF-8's most for a UTF-16 unit), plus 16 KB for the rest of the message; never below Blazor's 32 KB.
    /// </summary>
    public static long ReceiveLimit(int maxTextLength) => Math.Max(32 * 1024, 2L * maxTextLength * 3 + 16 * 1024);

    /// <summary>The default when browsers connect directly.</summary>
    public static readonly TimeSpan DirectIdleConnectionTimeout = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Registers the UI: Blazor Server's interactive components (their receive limit sized for the longest message text),
/// MudBlazor, and <see cref="UiHostingSettings"/>.
/// </summary>
public static class UiHosting
{
    /// <summary>Adds the UI's services and applies <c>Ui:IdleConnectionTimeout</c> to Kestrel; a value not above zero stops the start.</summary>
    public static IHostApplicationBuilder AddUi(this IHostApplicationBuilder builder)
    {
        // The largest message the UI sends over its circuit is a text field's whole value (the edit dialog's text is
        // sent at every keystroke, up to Messages:MaxTextLength characters and more before validation says so).
        // Blazor's default limit, 32 KB, is 16,000 Cyrillic characters in UTF-8: a longer edit would end the circuit.
        // The limit is a ceiling, not a buffer: pooled blocks are taken only while such a message arrives.
        var maxText = builder.Configuration.GetValue<int?>($"{MessageOptions.Section}:{nameof(MessageOptions.MaxTextLength)}")
            ?? new MessageOptions().MaxTextLength;
        builder.Services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(o => o.MaximumReceiveMessageSize = UiHostingSettings.ReceiveLimit(maxText));
        builder.Services.AddMudServices();

        builder.Services.AddOptions<UiHostingSettings>().BindConfiguration(UiHostingSettings.Section)
            .Validate(s => s.IdleConnectionTimeout is not { } t || t > TimeSpan.Zero,
                "Ui:IdleConnectionTimeout must be positive, e.g. 00:00:10 (or unset for the default).")
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<UiHostingSettings>, IOptions<ForwardedHeadersSettings>>((kestrel, ui, proxies) =>
            {
                if (ui.Value.IdleConnectionTimeout is { } configured && configured > TimeSpan.Zero)
                    kestrel.Limits.KeepAliveTimeout = configured;
                else if (!proxies.Value.Enabled)
                    kestrel.Limits.KeepAliveTimeout = UiHostingSettings.DirectIdleConnectionTimeout;
            });
        return builder;
    }
}
