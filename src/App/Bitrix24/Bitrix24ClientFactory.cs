namespace LineBridge.Bitrix24;

/// <summary>Hands out clients bound to an installed portal (its stored tokens, limiter and refresh).</summary>
public class Bitrix24ClientFactory
{
    private readonly IHttpClientFactory? _httpClients;
    private readonly IServiceProvider? _services;

    /// <summary>For test doubles.</summary>
    protected Bitrix24ClientFactory() { }

    public Bitrix24ClientFactory(IHttpClientFactory httpClients, IServiceProvider services)
    {
        _httpClients = httpClients;
        _services = services;
    }

    /// <summary>A client that calls the portal with the app's stored tokens, refreshing them as needed.</summary>
    public virtual Bitrix24Client ForPortal(string memberId)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return Create(new PortalCredentials(memberId));
    }

    /// <summary>A client that calls with a user's one-off token (e.g. <c>AUTH_ID</c> of a frame POST); not refreshed.</summary>
    public virtual Bitrix24Client ForUser(UserCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return Create(credentials);
    }

    /// <summary>
    /// A client for checking a posted user token before anything about the request is trusted: one attempt, a short
    /// timeout, no retry, and no draw on the portal's rate budget. Use it only at an address already proven to be the
    /// portal's (its stored client endpoint, or one the OAuth server named).
    /// </summary>
    public virtual Bitrix24Client ForVerification(UserCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return Create(credentials, Bitrix24Client.VerificationHttpClientName);
    }

    private Bitrix24Client Create(Bitrix24Credentials credentials, string httpClientName = Bitrix24Client.HttpClientName)
    {
        if (_httpClients is null || _services is null) throw new InvalidOperationException("This factory is a test double.");
        return new Bitrix24Client(_httpClients.CreateClient(httpClientName), credentials,
            _services.GetService<IPortalTokenSource>());
    }
}
