namespace LineBridge.Replies;

public enum ReplyChange
{
    Created,
    Updated,
    Deleted,
}

/// <summary>
/// One element of <c>MESSAGES</c> of an <c>ONIMCONNECTORMESSAGE*</c> event (§9.8): an operator's reply in an open line.
/// </summary>
public sealed record ReplyEvent
{
    public required ReplyChange Change { get; init; }
    public required int Line { get; init; }
    /// <summary>The portal's chat and message ids (<c>im.chat_id</c>, <c>im.message_id</c>).</summary>
    public required string ImChatId { get; init; }
    public required string ImMessageId { get; init; }
    /// <summary>The external chat (<c>chat.id</c>), as the external system named it.</summary>
    public required string ChatId { get; init; }
    /// <summary>Null for deletes.</summary>
    public string? Text { get; init; }
    public IReadOnlyList<ReplyFile> Files { get; init; } = [];
    /// <summary>The operator (<c>message.user_id</c>); only the add event carries it.</summary>
    public string? OperatorId { get; init; }
    /// <summary>The ids the external system gave the reply (<c>message.id</c> of update and delete).</summary>
    public IReadOnlyList<string> ExternalIds { get; init; } = [];
}

/// <summary>A file of an operator's reply; <see cref="Link"/> is a portal download link.</summary>
public sealed record ReplyFile(string? Name, string? Link, string? Mime, long? Size);
