using System.Text.Json.Serialization;

namespace LineBridge.Bitrix24.Models;

/// <summary>Arguments of <c>imconnector.register</c> (protocol reference §7.2). Registering the same id again updates it.</summary>
public sealed record ConnectorRegistration
{
    /// <summary>Lower case, no dots.</summary>
    [JsonPropertyName("ID")] public required string Id { get; init; }
    [JsonPropertyName("NAME")] public required string Name { get; init; }
    [JsonPropertyName("ICON")] public required ConnectorIcon Icon { get; init; }
    [JsonPropertyName("ICON_DISABLED")] public ConnectorIcon? IconDisabled { get; init; }
    /// <summary>The URL the portal opens (form POST) for the <c>SETTING_CONNECTOR</c> placement.</summary>
    [JsonPropertyName("PLACEMENT_HANDLER")] public required string PlacementHandler { get; init; }
    [JsonPropertyName("DEL_EXTERNAL_MESSAGES")] public bool? DelExternalMessages { get; init; }
    [JsonPropertyName("EDIT_INTERNAL_MESSAGES")] public bool? EditInternalMessages { get; init; }
    [JsonPropertyName("DEL_INTERNAL_MESSAGES")] public bool? DelInternalMessages { get; init; }
    [JsonPropertyName("NEWSLETTER")] public bool? Newsletter { get; init; }
    [JsonPropertyName("NEED_SYSTEM_MESSAGES")] public bool? NeedSystemMessages { get; init; }
    [JsonPropertyName("NEED_SIGNATURE")] public bool? NeedSignature { get; init; }
    [JsonPropertyName("CHAT_GROUP")] public bool? ChatGroup { get; init; }
    [JsonPropertyName("COMMENT")] public string? Comment { get; init; }
}

/// <summary>A connector tile's icon: <see cref="DataImage"/> is a <c>data:image/svg+xml,...</c> URL.</summary>
public sealed record ConnectorIcon
{
    [JsonPropertyName("DATA_IMAGE")] public required string DataImage { get; init; }
    [JsonPropertyName("COLOR")] public string? Color { get; init; }
    [JsonPropertyName("SIZE")] public string? Size { get; init; }
    [JsonPropertyName("POSITION")] public string? Position { get; init; }
}

/// <summary>The result of <c>imconnector.status</c> for one connector on one line.</summary>
public sealed record ConnectorStatus(int Line, string Connector, bool Error, bool Configured, bool Status);

/// <summary>What <c>imconnector.connector.data.set</c> shows about the channel in the contact center.</summary>
public sealed record ConnectorData
{
    [JsonPropertyName("ID")] public string? Id { get; init; }
    [JsonPropertyName("URL")] public string? Url { get; init; }
    [JsonPropertyName("URL_IM")] public string? UrlIm { get; init; }
    [JsonPropertyName("NAME")] public string? Name { get; init; }
}

/// <summary>One element of <c>imconnector.send.status.delivery</c> / <c>.reading</c> (outgoing messages, §9.5).</summary>
public sealed record ConnectorStatusMessage(
    [property: JsonPropertyName("im")] ConnectorImReference Im,
    [property: JsonPropertyName("message")] ConnectorStatusMessageBody Message,
    [property: JsonPropertyName("chat")] ConnectorChatReference Chat);

/// <summary>The portal's ids of an outgoing message, from <c>OnImConnectorMessageAdd</c>.</summary>
public sealed record ConnectorImReference(
    [property: JsonPropertyName("chat_id")] string ChatId,
    [property: JsonPropertyName("message_id")] string MessageId);

/// <summary>The external ids the message got (an array), and for delivery the unix time.</summary>
public sealed record ConnectorStatusMessageBody(
    [property: JsonPropertyName("id")] IReadOnlyList<string> Ids,
    [property: JsonPropertyName("date")] long? Date = null);

public sealed record ConnectorChatReference([property: JsonPropertyName("id")] string Id);

/// <summary>Arguments of <c>imconnector.send.status.delivery</c> and <c>.reading</c>.</summary>
public sealed record ConnectorStatusRequest(string Connector, int Line, IReadOnlyList<ConnectorStatusMessage> Messages);

/// <summary>Arguments of <c>imconnector.chat.name.set</c>.</summary>
public sealed record ChatNameRequest(string Connector, int Line, string ChatId, string Name, string? UserId = null);
