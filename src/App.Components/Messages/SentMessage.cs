namespace LineBridge.Components.Messages;

/// <summary>Where the latest change of a message stands with the portal.</summary>
public enum MessageStatus
{
    Queued,
    Sent,
    Failed,
    Deleted,
    /// <summary>
    /// Accepted, but it cannot go out now for a reason that mends without the message changing (the line is
    /// disconnected, the app was uninstalled, the portal must pay, no webhook is set); <see cref="SentMessage.FailureReason"/>
    /// says why and what to do. It goes out by itself once the reason is gone. Added last: statuses are stored as numbers.
    /// </summary>
    Waiting,
    /// <summary>
    /// Of a version only, never of a message: the edit never went out on its own because a newer edit of the same
    /// message was queued before it left, and the newer one carried the text (the portal keeps only the last text).
    /// Added last: statuses are stored as numbers.
    /// </summary>
    Superseded,
}

public enum MessageDirection
{
    /// <summary>From the external system into the open line (sent with imconnector.send.messages).</summary>
    Incoming,
    /// <summary>An operator's reply, forwarded to the external system.</summary>
    Outgoing,
}

/// <summary>A message as LineBridge recorded it.</summary>
public sealed record SentMessage
{
    /// <summary>LineBridge's own id.</summary>
    public required string Id { get; init; }
    public required int LineId { get; init; }
    public required string ChatId { get; init; }
    public string? ChatName { get; init; }
    public required string ExternalMessageId { get; init; }
    public required string ExternalUserId { get; init; }
    public string? ExternalUserName { get; init; }
    public required string Text { get; init; }
    public required MessageStatus Status { get; init; }
    /// <summary>
    /// The portal's reason when <see cref="Status"/> is <see cref="MessageStatus.Failed"/>; what the message waits for
    /// when it is <see cref="MessageStatus.Waiting"/>.
    /// </summary>
    public string? FailureReason { get; init; }
    /// <summary>
    /// The text the portal last accepted for this message (null when it never got it). Differs from <see cref="Text"/>
    /// while a newer text is on its way or could not go out: the portal's chat still shows this one.
    /// </summary>
    public string? PortalText { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Starts at 1 and grows with each edit; an edit names the version it starts from.</summary>
    public required int Version { get; init; }
    public bool IsEdited => Version > 1;
    public string? LastEditedBy { get; init; }
    public MessageDirection Direction { get; init; } = MessageDirection.Incoming;
    /// <summary>Files sent with the message (<c>message.files</c> of <c>imconnector.send.messages</c>), in order.</summary>
    public IReadOnlyList<MessageFile> Files { get; init; } = [];
}

/// <summary>A file attached to a message: the name people see and where it can be opened.</summary>
public sealed record MessageFile(string Name, string Url);

/// <summary>One step in a message's life: the text before and after, who, when, from where, and the portal's answer.</summary>
public sealed record MessageVersion(
    int Version,
    string? OldText,
    string NewText,
    string ChangedBy,
    string Source,
    DateTimeOffset ChangedAt,
    MessageStatus Status,
    string? PortalAnswer);

/// <summary>A page of a line's messages, newest first. Page is zero-based.</summary>
public sealed record MessageQuery(
    int LineId, string? ChatId = null, MessageStatus? Status = null, string? Text = null, int Page = 0, int PageSize = 25);

/// <summary>A page of messages; <paramref name="TotalIsCapped"/>: more than <paramref name="TotalCount"/> match (shown as "1000+").</summary>
public sealed record MessagePage(IReadOnlyList<SentMessage> Items, int TotalCount, bool TotalIsCapped = false)
{
    /// <summary>For a chat search (<see cref="MessageQuery.ChatId"/>): how many chats matched; 0 without one.</summary>
    public int ChatMatches { get; init; }

    /// <summary>
    /// For a chat search: how many of the matching chats (the best matches) the page's messages come from. Fewer than
    /// <see cref="ChatMatches"/> means the search was too broad; the table says so and how to narrow it.
    /// </summary>
    public int ChatsSearched { get; init; }
}

/// <summary>A message a find-and-replace would change, and its text afterwards.</summary>
public sealed record ReplacementPreview(SentMessage Message, string NewText);
