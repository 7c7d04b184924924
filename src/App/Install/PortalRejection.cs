namespace LineBridge.Install;

/// <summary>A portal request we refuse, with the HTTP status and a message that says what to check.</summary>
public sealed class PortalRejection(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
