namespace LineBridge.Components.OpenLines;

/// <summary>An open line of the portal and LineBridge's connector status on it.</summary>
public sealed record OpenLineSummary(int Id, string Name, bool IsActive, ConnectorState Connector, string? ConnectorError = null);

public enum ConnectorState
{
    NotConnected,
    Connected,
    /// <summary>Connected, but the portal flags an error on it (<c>imconnector.set.error</c>); messages are refused.</summary>
    Error,
}

/// <summary>How the external system reaches LineBridge for this portal.</summary>
public sealed record ApiAccess(string ApiBaseUrl, bool HasKey, DateTimeOffset? KeyCreatedAt, string? KeyHint);
