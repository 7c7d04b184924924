using LineBridge.Bitrix24;
using LineBridge.Install;
using LineBridge.Storage;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LineBridge.Infrastructure;

/// <summary>
/// The real client pipeline (handlers, limiter, token refresh, portal store on an in-memory LiteDB) over a
/// <see cref="RecordingHandler"/> standing in for the portal and one for the OAuth server.
/// </summary>
public sealed class ClientHarness : IAsyncDisposable
{
    public const string MemberId = "a223c6b3710f85df22e9377d6c4f7553";
    public static readonly Uri RestBase = new("https://example.bitrix24.com/rest/");

    private readonly ServiceProvider _services;

    public ClientHarness(Func<RecordedRequest, HttpResponseMessage>? portal = null, Action<Bitrix24AppOptions>? app = null,
        Action<Bitrix24ClientOptions>? client = null)
    {
        Portal = new RecordingHandler(portal ?? (_ => RecordingHandler.Json("""{"result":true}""")));
        OAuth = new RecordingHandler(_ => RecordingHandler.Json("""{"error":"invalid_grant","error_description":"not set up"}""", System.Net.HttpStatusCode.BadRequest));
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        services.Configure<Bitrix24AppOptions>(o =>
        {
            o.ClientId = "local.test.1";
            o.ClientSecret = "secret";
            o.OAuthServer = "https://oauth.example.com/";
            o.RequestsPerSecond = 1000;
            o.Burst = 1000;
            app?.Invoke(o);
        });
        services.AddBitrix24Client();
        services.Configure<Bitrix24ClientOptions>(o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(5);
            client?.Invoke(o);
        });
        services.AddHttpClient(Bitrix24Client.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Portal);
        services.AddHttpClient(Bitrix24OAuthClient.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => OAuth);
        services.AddSingleton(new LiteDatabase(new MemoryStream()));
        services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
        services.AddSingleton<PortalStore>();
        services.AddSingleton<IPortalRefreshLock, SingleProcessRefreshLock>();
        services.AddSingleton<PortalTokens>();
        services.AddSingleton<IPortalTokenSource>(sp => sp.GetRequiredService<PortalTokens>());
        _services = services.BuildServiceProvider();
    }

    public RecordingHandler Portal { get; }
    public RecordingHandler OAuth { get; }
    public IServiceProvider Services => _services;
    public PortalStore Store => _services.GetRequiredService<PortalStore>();
    public Bitrix24ClientFactory Factory => _services.GetRequiredService<Bitrix24ClientFactory>();

    /// <summary>A client with a user's one-off token.</summary>
    public Bitrix24Client UserClient(string token = "user-token") => Factory.ForUser(new UserCredentials(MemberId, RestBase, token));

    /// <summary>Stores an installed portal with the given tokens and returns a client using them.</summary>
    public Bitrix24Client InstalledPortal(string accessToken = "access-1", string refreshToken = "refresh-1")
    {
        Store.Save(new Portal
        {
            MemberId = MemberId, Domain = RestBase.Authority, ClientEndpoint = RestBase.AbsoluteUri,
            AccessToken = accessToken, RefreshToken = refreshToken, ApplicationToken = "app-token",
        });
        return Factory.ForPortal(MemberId);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
