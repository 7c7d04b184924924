namespace LineBridge.Events;

/// <summary>
/// An event from a portal, confirmed with the portal before handlers see it (<see cref="EventConfirmer"/>).
/// <see cref="Fields"/> holds the form as posted, bracket keys flattened (<c>data[MESSAGES][0][chat][id]</c>),
/// all values strings as Bitrix24 sends them; tokens under <c>auth[...]</c> are removed before handlers see it.
/// </summary>
public sealed record PortalEvent(string Name, string MemberId, IReadOnlyDictionary<string, string> Fields, DateTimeOffset ReceivedAt)
{
    /// <summary>A value under <c>data</c>, keys matched case-insensitively: <c>Data("LINE")</c>, <c>Data("MESSAGES", "0", "chat", "id")</c>.</summary>
    public string? Data(params string[] path)
    {
        var key = path.Length == 0 ? "data" : "data[" + string.Join("][", path) + "]";
        foreach (var (k, v) in Fields)
        {
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) return v;
        }
        return null;
    }
}

/// <summary>
/// A feature's reaction to portal events. Handlers run in the background after the event was stored and confirmed
/// with the portal (the endpoint has long answered); throw <see cref="EventNotReadyException"/> to be called again later.
/// </summary>
public interface IPortalEventHandler
{
    /// <summary>True for the upper-case event names (<c>ONIMCONNECTORSTATUSDELETE</c>) this handler takes.</summary>
    bool Handles(string eventName);

    Task HandleAsync(PortalEvent portalEvent, CancellationToken cancellationToken = default);
}

/// <summary>Event names as Bitrix24 posts them (upper case).</summary>
public static class PortalEventNames
{
    public const string AppInstall = "ONAPPINSTALL";
    public const string AppUninstall = "ONAPPUNINSTALL";
    public const string MessageAdd = "ONIMCONNECTORMESSAGEADD";
    public const string MessageUpdate = "ONIMCONNECTORMESSAGEUPDATE";
    public const string MessageDelete = "ONIMCONNECTORMESSAGEDELETE";
    public const string StatusDelete = "ONIMCONNECTORSTATUSDELETE";
    public const string LineDelete = "ONIMCONNECTORLINEDELETE";
}
