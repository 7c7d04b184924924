using LineBridge.Components.Portal;

namespace LineBridge.Components.Messages;

/// <summary>Reads LineBridge's record of messages, always within the session's portal.</summary>
public interface IMessageLog
{
    Task<MessagePage> QueryAsync(PortalSession session, MessageQuery query, CancellationToken cancellationToken = default);

    Task<SentMessage?> GetAsync(PortalSession session, string messageId, CancellationToken cancellationToken = default);

    /// <summary>Every version, oldest first.</summary>
    Task<IReadOnlyList<MessageVersion>> GetHistoryAsync(
        PortalSession session, string messageId, CancellationToken cancellationToken = default);
}

/// <summary>Changes messages. Every change is stored before it returns and travels to the portal in the background.</summary>
public interface IMessageEditor
{
    /// <summary>The longest text the portal takes in one message.</summary>
    int MaxTextLength { get; }

    Task<EditOutcome> EditAsync(
        PortalSession session, string messageId, int expectedVersion, string newText,
        CancellationToken cancellationToken = default);

    /// <summary>Makes the text of <paramref name="toVersion"/> current again; a revert is an edit.</summary>
    Task<EditOutcome> RevertAsync(
        PortalSession session, string messageId, int toVersion, int expectedVersion,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a failed message's last change again (its send, its current text, or its delete). Accepted when the
    /// message had failed; Rejected with the reason otherwise.
    /// </summary>
    Task<EditOutcome> RetryAsync(PortalSession session, string messageId, CancellationToken cancellationToken = default);

    /// <summary>The messages of a line (or one chat of it) whose text contains <paramref name="find"/>.</summary>
    Task<IReadOnlyList<ReplacementPreview>> PreviewReplaceAsync(
        PortalSession session, int lineId, string? chatId, string find, string replace,
        CancellationToken cancellationToken = default);

    /// <summary>Sends a message into the line as a test external user (administrators checking a line).</summary>
    /// <exception cref="UnauthorizedAccessException">The user is not a portal administrator.</exception>
    /// <exception cref="OperationFailedException">The line is not connected, or the text is invalid.</exception>
    Task<SentMessage> SendTestMessageAsync(
        PortalSession session, int lineId, string text, CancellationToken cancellationToken = default);
}

/// <summary>Pushes changes of messages (dispatcher results, new messages) to open UI sessions.</summary>
public interface IMessageUpdates
{
    /// <summary>Calls <paramref name="onChanged"/> for each change of a message of the portal until disposed.</summary>
    IDisposable Subscribe(string memberId, Func<SentMessage, Task> onChanged);
}
