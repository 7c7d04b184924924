using System.Net;
using LineBridge.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LineBridge.Proxy;

/// <summary>Forwarded headers are believed from the configured proxies only.</summary>
public sealed class ForwardedHeadersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AListedProxy_ForwardsTheClientsAddressAndScheme()
    {
        await using var app = await StartAsync(new() { ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" });

        Assert.Equal("203.0.113.7 https", await WhoAsync(app, from: IPAddress.Loopback));
    }

    [Fact]
    public async Task AListedNetwork_ForwardsTheClientsAddressAndScheme()
    {
        await using var app = await StartAsync(new() { ["ForwardedHeaders:KnownNetworks:0"] = "127.0.0.0/8" });

        Assert.Equal("203.0.113.7 https", await WhoAsync(app, from: IPAddress.Parse("127.0.0.5")));
    }

    [Fact]
    public async Task APeerThatIsNotListed_IsNotBelieved()
    {
        await using var app = await StartAsync(new() { ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" });

        Assert.Equal("127.0.0.5 http", await WhoAsync(app, from: IPAddress.Parse("127.0.0.5")));
    }

    [Fact]
    public async Task NothingConfigured_TheHeadersAreIgnored_EvenFromLoopback()
    {
        await using var app = await StartAsync([]);

        Assert.Equal("127.0.0.1 http", await WhoAsync(app, from: IPAddress.Loopback));
    }

    [Fact]
    public async Task AWrongAddress_StopsTheStart_AndSaysWhichSetting()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownProxies:0"] = "nginx.local",
            ["ForwardedHeaders:KnownNetworks:0"] = "10.0.0.0/33",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () => await StartAsync(settings));

        Assert.Contains("ForwardedHeaders:KnownProxies:0 is 'nginx.local'", error.Message);
        Assert.Contains("ForwardedHeaders:KnownNetworks:0 is '10.0.0.0/33'", error.Message);
    }

    [Fact]
    public async Task TheApp_StartsWithTrustedProxiesConfigured()
    {
        await using var app = await SandboxedApp.StartAsync(install: false,
            settings: new Dictionary<string, string?> { ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" }, cancellationToken: Ct);

        using var request = new HttpRequestMessage(HttpMethod.Get, "health/live");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await app.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<WebApplication> StartAsync(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddForwardedHeadersFromSettings();
        var app = builder.Build();
        try
        {
            app.UseForwardedHeadersFromSettings();
            app.MapGet("/who", (HttpContext c) => $"{c.Connection.RemoteIpAddress} {c.Request.Scheme}");
            await app.StartAsync(Ct);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    private static async Task<string> WhoAsync(WebApplication app, IPAddress from)
    {
        var context = await app.GetTestServer().SendAsync(c =>
        {
            c.Connection.RemoteIpAddress = from;
            c.Request.Method = "GET";
            c.Request.Path = "/who";
            c.Request.Headers["X-Forwarded-For"] = "203.0.113.7";
            c.Request.Headers["X-Forwarded-Proto"] = "https";
        }, Ct);
        return await new StreamReader(context.Response.Body).ReadToEndAsync(Ct);
    }
}
