using LiteDB;

namespace LineBridge.Replies;

/// <summary>Webhook event types (the <c>type</c> of the body and the <c>X-LineBridge-Event</c> header).</summary>
public static class WebhookEventTypes
{
    public const string MessageCreated = "message.created";
    public const string MessageUpdated = "message.updated";
    public const string MessageDeleted = "message.deleted";
    public const string Ping = "ping";
}

public enum DeliveryStage
{
    /// <summary>Waiting to be POSTed to the line's webhook.</summary>
    Webhook,
    /// <summary>The webhook took it; the portal still has to hear <c>imconnector.send.status.delivery</c>.</summary>
    PortalStatus,
}

/// <summary>
/// One change of an operator's reply on its way to the external system. The body is fixed when the change is
/// stored, so every attempt sends the same bytes and the same <see cref="EventId"/> (receivers de-duplicate on it).
/// Ids grow: a message's changes go out in the order they happened.
/// </summary>
public sealed class ReplyDelivery
{
    public long Id { get; set; }
    /// <summary>Stable across attempts: the message id and version, e.g. <c>6743…-v2</c>.</summary>
    public string EventId { get; set; } = "";
    public string EventType { get; set; } = "";
    public string MemberId { get; set; } = "";
    public string Connector { get; set; } = "";
    public int Line { get; set; }
    public ObjectId MessageId { get; set; } = ObjectId.Empty;
    public int Version { get; set; }
    public string Body { get; set; } = "";
    public DeliveryStage Stage { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>What the webhook answered as its own id (or our id when it gave none), for the delivery status.</summary>
    public string? ExternalId { get; set; }
}
