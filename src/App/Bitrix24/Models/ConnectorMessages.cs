using System.Text.Json.Serialization;

namespace LineBridge.Bitrix24.Models;

// The MESSAGES element of imconnector.send/update/delete.messages (protocol reference §9.2–9.4).
// Keys inside MESSAGES are lower-case on the wire; nulls are omitted when serialized.

/// <summary>One element of <c>MESSAGES</c>: who wrote it, what, and in which external chat.</summary>
public sealed record ConnectorMessage(
    [property: JsonPropertyName("user")] ConnectorUser User,
    [property: JsonPropertyName("message")] ConnectorMessageBody Message,
    [property: JsonPropertyName("chat")] ConnectorChat Chat);

/// <summary>The external user. <see cref="Id"/> must be reused on update/delete or the portal finds no dialog.</summary>
public sealed record ConnectorUser
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("last_name")] public string? LastName { get; init; }
    [JsonPropertyName("picture")] public ConnectorPicture? Picture { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("gender")] public string? Gender { get; init; }
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("phone")] public string? Phone { get; init; }
    [JsonPropertyName("skip_phone_validate")] public string? SkipPhoneValidate { get; init; }
}

public sealed record ConnectorPicture([property: JsonPropertyName("url")] string Url);

/// <summary>The message itself. <see cref="Id"/> is the external id that update/delete address.</summary>
public sealed record ConnectorMessageBody
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    /// <summary>Unix seconds.</summary>
    [JsonPropertyName("date")] public long? Date { get; init; }
    [JsonPropertyName("text")] public string? Text { get; init; }
    [JsonPropertyName("files")] public IReadOnlyList<ConnectorFile>? Files { get; init; }
    [JsonPropertyName("disable_crm")] public string? DisableCrm { get; init; }
    [JsonPropertyName("user_id")] public int? UserId { get; init; }
}

public sealed record ConnectorFile(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("name")] string? Name = null);

/// <summary>The external chat (dialog). <see cref="Id"/> must be reused on update/delete.</summary>
public sealed record ConnectorChat
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
}

/// <summary>Arguments of send/update/delete: the connector, the open line and up to a batch of messages.</summary>
public sealed record ConnectorMessagesRequest(string Connector, int Line, IReadOnlyList<ConnectorMessage> Messages);

/// <summary>
/// The portal's answer for one element of <c>MESSAGES</c>, index-aligned with the request.
/// A failed element (<c>SUCCESS:false</c>) carries the portal's <c>ERRORS</c> texts; nothing is swallowed.
/// Note: update/delete answer success for ids the portal never saw (§9.3).
/// </summary>
public sealed record MessageItemResult
{
    public required bool Success { get; init; }
    public IReadOnlyList<string> Errors { get; init; } = [];
    /// <summary>The portal's internal id of the external user (<c>user</c>), when given.</summary>
    public string? PortalUserId { get; init; }
    /// <summary>Open-lines session id (<c>session.ID</c>), on send when a session exists.</summary>
    public string? SessionId { get; init; }
    /// <summary>The portal's chat id of the dialog (<c>session.CHAT_ID</c>), when given.</summary>
    public string? PortalChatId { get; init; }
}

/// <summary>Per-element results of send/update/delete.</summary>
public sealed record ConnectorMessagesResult(IReadOnlyList<MessageItemResult> Items)
{
    /// <summary>The answer's <c>time</c> block (how long the portal ran the call, its operating budget), when given.</summary>
    public Bitrix24Time? Time { get; init; }
}

/// <summary>One command of <c>ConnectorClient.MessagesBatchAsync</c>: which message method, and its arguments.</summary>
/// <param name="Method"><c>imconnector.send.messages</c>, <c>imconnector.update.messages</c> or <c>imconnector.delete.messages</c>.</param>
/// <param name="Request">The call's connector, line and <c>MESSAGES</c>.</param>
public sealed record ConnectorMessagesCommand(string Method, ConnectorMessagesRequest Request);

/// <summary>
/// What one command of a batch came to: <see cref="Result"/> when the portal ran it, else <see cref="Error"/>, the
/// exception the same call made alone would have raised.
/// </summary>
public sealed record ConnectorMessagesOutcome(ConnectorMessagesResult? Result, Exception? Error);
