using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using LineBridge.Infrastructure;
using LineBridge.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LineBridge.Ui;

/// <summary>
/// The server's hold on idle browser connections (issue 15): a page loads its scripts over several HTTP connections
/// once, then lives on its WebSocket, so the app closes idle connections after 10 s when browsers connect directly
/// (Kestrel kept them 130 s, about 110 KB per open page); behind a trusted proxy, which may pool its connections to the
/// app, Kestrel's own 130 s stays; <c>Ui:IdleConnectionTimeout</c> sets it either way.
/// </summary>
public sealed class UiHostingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void BrowsersConnectingDirectly_IdleConnectionsAreHeld10Seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), KeepAlive([]));
    }

    [Fact]
    public void BehindATrustedProxy_KestrelsOwnHoldStays()
    {
        Assert.Equal(new KestrelServerOptions().Limits.KeepAliveTimeout,
            KeepAlive(new() { ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" }));
        Assert.Equal(TimeSpan.FromSeconds(130), new KestrelServerOptions().Limits.KeepAliveTimeout);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("127.0.0.1")]
    public void TheSetting_WinsEitherWay(string? proxy)
    {
        var settings = new Dictionary<string, string?> { ["Ui:IdleConnectionTimeout"] = "00:01:30" };
        if (proxy is not null)
            settings["ForwardedHeaders:KnownProxies:0"] = proxy;

        Assert.Equal(TimeSpan.FromSeconds(90), KeepAlive(settings));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    public async Task AHoldNotAboveZero_StopsTheStart_AndSaysWhichSetting(string value)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Ui:IdleConnectionTimeout"] = value });
        builder.AddForwardedHeadersFromSettings();
        builder.AddUi();
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Ct));

        Assert.Contains("Ui:IdleConnectionTimeout must be positive", error.Message);
    }

    /// <summary>
    /// The app as it runs (Kestrel on a loopback port, no proxy configured): an HTTP/1.1 connection left idle after its
    /// answer is closed by the app well before Kestrel's default 130 s.
    /// </summary>
    [Fact]
    public async Task TheRunningApp_ClosesAnIdleBrowserConnection_WithinItsHold()
    {
        await using var app = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);
        using var client = new TcpClient();
        await client.ConnectAsync(app.BaseUri.Host, app.BaseUri.Port, Ct);
        var stream = client.GetStream();
        var request = $"GET /health/live HTTP/1.1\r\nHost: {app.BaseUri.Authority}\r\nConnection: keep-alive\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Ct);

        // The answer, then nothing until the app closes the idle connection (a read of 0 bytes).
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        var idleSince = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        int read;
        while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            idleSince.Restart();
        }

        Assert.StartsWith("HTTP/1.1 200", answer.ToString());
        // Kestrel checks its timeouts about once a second; on a busy machine a little later. 130 s would fail here.
        Assert.InRange(idleSince.Elapsed, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// The edit dialog sends its whole text at every keystroke: 20,000 Cyrillic characters are 40,000 bytes in UTF-8,
    /// over Blazor's default 32 KB, which ended the circuit. The limit fits the longest text (twice over) at 3 bytes a
    /// character, and follows Messages:MaxTextLength.
    /// </summary>
    [Theory]
    [InlineData(null, 20_000)]
    [InlineData("50000", 50_000)]
    public void TheCircuitTakes_TheLongestTextInAnyScript(string? setting, int maxText)
    {
        var builder = WebApplication.CreateBuilder();
        if (setting is not null)
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Messages:MaxTextLength"] = setting });
        builder.AddForwardedHeadersFromSettings();
        builder.AddUi();
        using var services = builder.Services.BuildServiceProvider();

        var hub = Type.GetType("Microsoft.AspNetCore.Components.Server.ComponentHub, Microsoft.AspNetCore.Components.Server", throwOnError: true)!;
        var options = services.GetRequiredService(typeof(IOptions<>).MakeGenericType(typeof(HubOptions<>).MakeGenericType(hub)));
        var limit = ((HubOptions)options.GetType().GetProperty("Value")!.GetValue(options)!).MaximumReceiveMessageSize;

        var longestEdit = Encoding.UTF8.GetByteCount(new string('ж', maxText)) + 1024;
        Assert.True(limit >= 2 * longestEdit, $"receive limit {limit} bytes for texts of {maxText} characters");
    }

    private static TimeSpan KeepAlive(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddForwardedHeadersFromSettings();
        builder.AddUi();
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.KeepAliveTimeout;
    }
}
