namespace LineBridge.Bitrix24;

/// <summary>The REST method names the app calls, and which of them may be retried after a transient failure.</summary>
public static class Bitrix24Methods
{
    public const string ConnectorRegister = "imconnector.register";
    public const string ConnectorUnregister = "imconnector.unregister";
    public const string ConnectorList = "imconnector.list";
    public const string ConnectorStatus = "imconnector.status";
    public const string ConnectorActivate = "imconnector.activate";
    public const string ConnectorDataSet = "imconnector.connector.data.set";
    public const string ConnectorSetError = "imconnector.set.error";
    public const string SendMessages = "imconnector.send.messages";
    public const string UpdateMessages = "imconnector.update.messages";
    public const string DeleteMessages = "imconnector.delete.messages";
    public const string SendStatusDelivery = "imconnector.send.status.delivery";
    public const string SendStatusReading = "imconnector.send.status.reading";
    public const string ChatNameSet = "imconnector.chat.name.set";
    public const string OpenLinesConfigList = "imopenlines.config.list.get";
    public const string OpenLinesConfigGet = "imopenlines.config.get";
    public const string EventBind = "event.bind";
    public const string EventUnbind = "event.unbind";
    public const string EventGet = "event.get";
    public const string PlacementBind = "placement.bind";
    public const string PlacementUnbind = "placement.unbind";
    public const string PlacementGet = "placement.get";
    public const string AppInfo = "app.info";
    public const string UserCurrent = "user.current";
    public const string UserAdmin = "user.admin";
    public const string Profile = "profile";
    public const string ImUserGet = "im.user.get";
    public const string Batch = "batch";

    // A network failure or 5xx leaves us not knowing whether the portal acted. Repeating these is harmless: reads,
    // and writes that set a state rather than add one. send.messages would post the message twice (the portal does not
    // deduplicate by message id), bind would fail as a duplicate, and batch may hold either; their callers decide.
    private static readonly HashSet<string> Retriable = new(StringComparer.OrdinalIgnoreCase)
    {
        ConnectorRegister, ConnectorList, ConnectorStatus, ConnectorActivate, ConnectorDataSet, ConnectorSetError,
        UpdateMessages, DeleteMessages, SendStatusDelivery, SendStatusReading, ChatNameSet,
        OpenLinesConfigList, OpenLinesConfigGet, EventGet, PlacementGet, AppInfo, UserCurrent, UserAdmin, Profile, ImUserGet,
    };

    /// <summary>True when a call of <paramref name="method"/> may be repeated after a transient failure.</summary>
    public static bool IsRetriable(string method) => Retriable.Contains(method);
}
