using Microsoft.Extensions.DependencyInjection.Extensions;
using LineBridge.Install;

namespace LineBridge.Bitrix24;

public static class Bitrix24ServiceCollectionExtensions
{
    /// <summary>
    /// The typed Bitrix24 client: <see cref="Bitrix24ClientFactory"/>, the token-server client, and one HTTP pipeline
    /// (retry/back-off → token → per-portal limiter → operating-time budget). The retry strategies are decided per REST method (see
    /// <see cref="Bitrix24Retries"/>), not a blanket standard handler. Needs <see cref="Bitrix24AppOptions"/> and an <see cref="IPortalTokenSource"/>.
    /// </summary>
    public static IServiceCollection AddBitrix24Client(this IServiceCollection services)
    {
        services.AddOptions<Bitrix24ClientOptions>().BindConfiguration(Bitrix24ClientOptions.Section);
        services.AddOptions<Bitrix24AppOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Bitrix24RateLimiter>();
        // In-process unless the storage registered a shared one (PostgreSQL: one bucket for every instance).
        services.TryAddSingleton<IPortalRateLimiter>(sp => sp.GetRequiredService<Bitrix24RateLimiter>());
        services.AddSingleton<Bitrix24OperatingBudget>();
        services.AddTransient<OperatingTimeHandler>();
        services.TryAddSingleton<Observability.LineBridgeMetrics>();
        services.AddMetrics();
        services.AddTransient<AccessTokenHandler>();
        services.AddTransient<RateLimitHandler>();
        services.AddTransient<VerificationHandler>();
        services.AddSingleton<Bitrix24ClientFactory>();

        var portalCalls = services.AddHttpClient(Bitrix24Client.HttpClientName, http =>
            {
                // Attempts time out in RateLimitHandler; a whole call may wait out rate limits for longer.
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.DefaultRequestHeaders.UserAgent.ParseAdd("LineBridge/1.0");
            });
        // Outermost: the retry rules (Polly strategies whose predicates are the per-method rules).
        Bitrix24Retries.AddTo(portalCalls);
        portalCalls
            .AddHttpMessageHandler<AccessTokenHandler>()
            .AddHttpMessageHandler<RateLimitHandler>()
            .AddHttpMessageHandler<OperatingTimeHandler>()
            // Portals answer a renamed domain with 302; a followed redirect would turn the POST into a GET.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });

        // Verification of posted tokens: no retry, no portal limiter, no proxy, no redirects.
        services.AddHttpClient(Bitrix24Client.VerificationHttpClientName, http =>
            {
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.DefaultRequestHeaders.UserAgent.ParseAdd("LineBridge/1.0");
            })
            .AddHttpMessageHandler<AccessTokenHandler>()
            .AddHttpMessageHandler<VerificationHandler>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });

        services.AddHttpClient<Bitrix24OAuthClient>(Bitrix24OAuthClient.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(30))
            // The query string carries the client secret and the refresh token: keep it out of the logs entirely.
            .RemoveAllLoggers();
        return services;
    }
}
