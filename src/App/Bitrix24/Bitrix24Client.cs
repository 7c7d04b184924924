namespace LineBridge.Bitrix24;

/// <summary>One portal's REST API, grouped by area.</summary>
public class Bitrix24Client
{
    /// <summary><c>imconnector.*</c></summary>
    public virtual ConnectorClient Connectors { get; } = new();
}
