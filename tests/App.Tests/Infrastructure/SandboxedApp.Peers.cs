using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using AppEntryPoint = LineBridge.Install.Bitrix24AppOptions;

namespace LineBridge.Infrastructure;

public sealed partial class SandboxedApp
{
    /// <summary>
    /// Another LineBridge instance beside this one: its own address and data folder, the same sandbox and app
    /// credentials, refreshes counted in the same <see cref="OAuth"/>. Pass the shared store in
    /// <paramref name="settings"/> (<c>Storage:Provider</c> = <c>PostgreSql</c> and the same connection string);
    /// <paramref name="configureServices"/> changes the peer's services (e.g. leaves out its outbox dispatcher).
    /// </summary>
    public async Task<AppInstance> StartPeerAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        var port = FreePort();
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var dataDirectory = Directory.CreateTempSubdirectory("linebridge-peer-").FullName;
        var config = new Dictionary<string, string?>
        {
            ["Bitrix24:ClientId"] = Sandbox.App.ClientId,
            ["Bitrix24:ClientSecret"] = Sandbox.App.ClientSecret,
            ["Bitrix24:PublicBaseUrl"] = baseUri.AbsoluteUri.TrimEnd('/'),
            ["Bitrix24:OAuthServer"] = Sandbox.OAuthUri.AbsoluteUri,
            ["Storage:DataDirectory"] = dataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        for (var i = 0; i < Sandbox.Portals.Count; i++)
        {
            config[$"Bitrix24:SandboxOrigins:{i}"] = Sandbox.Portals[i].BaseUri.GetLeftPart(UriPartial.Authority);
        }
        foreach (var (key, value) in settings) config[key] = value;
        var oauth = OAuth;
        var factory = new WebApplicationFactory<AppEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            foreach (var (key, value) in config) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                services.AddHttpClient(Bitrix24OAuthClient.HttpClientName).AddHttpMessageHandler(() => new OAuthCounterHandler(oauth));
                configureServices?.Invoke(services);
            });
        });
        factory.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        try
        {
            factory.StartServer();
        }
        catch
        {
            await factory.DisposeAsync();
            Directory.Delete(dataDirectory, recursive: true);
            throw;
        }
        return new AppInstance(factory, baseUri, dataDirectory);
    }
}

/// <summary>A peer instance started by <see cref="SandboxedApp.StartPeerAsync"/>; disposing stops it and removes its folder.</summary>
public sealed class AppInstance(WebApplicationFactory<AppEntryPoint> factory, Uri baseUri, string dataDirectory) : IAsyncDisposable
{
    public Uri BaseUri { get; } = baseUri;
    public IServiceProvider Services => factory.Services;
    public PortalStore Store => Services.GetRequiredService<PortalStore>();
    public Bitrix24ClientFactory Clients => Services.GetRequiredService<Bitrix24ClientFactory>();

    public async ValueTask DisposeAsync()
    {
        await factory.DisposeAsync();
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
