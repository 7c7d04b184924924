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

    private Bitrix24Client Create(Bitrix24Credentials credentials)
    {
        if (_httpClients is null || _services is null) throw new InvalidOperationException("This factory is a test double.");
        return new Bitrix24Client(_httpClients.CreateClient(Bitrix24Client.HttpClientName), credentials,
            _services.GetService<IPortalTokenSource>());
    }
}
