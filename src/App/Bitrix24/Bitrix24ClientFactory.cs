namespace LineBridge.Bitrix24;

/// <summary>Hands out clients bound to an installed portal (its stored tokens, limiter and refresh).</summary>
public class Bitrix24ClientFactory
{
    /// <summary>A client that calls the portal with the app's stored tokens, refreshing them as needed.</summary>
    public virtual Bitrix24Client ForPortal(string memberId) => throw new NotImplementedException();
}
