using LineBridge.Components.Messages;
using LiteDB;

namespace LineBridge.Storage;

/// <summary>
/// One message LineBridge sent into an open line: exactly what the portal got (<see cref="Payload"/>, the JSON of the
/// <c>MESSAGES</c> element), the text as it stands now, and where it stands with the portal.
/// The <c>*Key</c> fields are fixed-width hex index keys (see <see cref="MessageKeys"/>); the database's collation
/// ignores case, so raw external ids cannot be index keys.
/// </summary>
public sealed class MessageRecord
{
    public ObjectId Id { get; set; } = ObjectId.Empty;
    public string MemberId { get; set; } = "";
    public string Connector { get; set; } = "";
    public int Line { get; set; }
    public string ChatId { get; set; } = "";
    public string? ChatName { get; set; }
    public string ExternalMessageId { get; set; } = "";
    public string ExternalUserId { get; set; } = "";
    public string? ExternalUserName { get; set; }

    /// <summary>
    /// The <c>MESSAGES</c> element as accepted (JSON) but without its text, which lives in <see cref="Text"/> and the
    /// versions; update and delete reuse its user and chat.
    /// </summary>
    public string Payload { get; set; } = "";

    // LiteDB reads an empty string back as null (BsonMapper.EmptyStringToNull); a files-only message has "".
    public string Text { get; set => field = value ?? ""; } = "";
    /// <summary>The text the portal last accepted (send or edit); null while it never got the message.</summary>
    public string? PortalText { get; set; }
    public bool HasFiles { get; set; }

    public MessageStatus Status { get; set; }
    public string? FailureReason { get; set; }
    /// <summary>True once the portal accepted the send; edits of a message it never got are pointless.</summary>
    public bool Delivered { get; set; }
    /// <summary>A delete was accepted; further edits are refused.</summary>
    public bool DeleteRequested { get; set; }

    public int Version { get; set; } = 1;
    public string? LastEditedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>The portal's answer to the send: its user id, open-lines session and chat.</summary>
    public string? PortalUserId { get; set; }
    public string? SessionId { get; set; }
    public string? PortalChatId { get; set; }

    /// <summary>Incoming (sent by us into the line) or Outgoing (an operator's reply, forwarded to the webhook).</summary>
    public MessageDirection Direction { get; set; } = MessageDirection.Incoming;
    /// <summary>For operator replies: the portal's <c>im.chat_id</c> and <c>im.message_id</c> (§9.8).</summary>
    public string? ImChatId { get; set; }
    public string? ImMessageId { get; set; }
    /// <summary>For operator replies: the id the external system gave the reply (2xx answer of the webhook).</summary>
    public string? DeliveredAs { get; set; }
    /// <summary>Where the message's search entry lives: <see cref="MessageTextBlock"/> number and slot.</summary>
    public int SearchBlock { get; set; }
    public int SearchSlot { get; set; }

    public byte[] LineTimeKey { get; set; } = [];
    public byte[] ChatTimeKey { get; set; } = [];
    public byte[] StatusTimeKey { get; set; } = [];
    public byte[] ExternalKey { get; set; } = [];
}

/// <summary>
/// The search side of a line: the lower-cased texts and statuses of up to <see cref="MessageStore.SearchBlockSize"/>
/// consecutive messages in one document. A text search over a line of a million messages reads a few thousand of
/// these instead of a million message documents; the messages themselves are loaded only for the page shown.
/// </summary>
public sealed class MessageTextBlock
{
    /// <summary>Separates the texts of a block; removed from texts before they are stored.</summary>
    public const char Separator = '\u0001';

    /// <summary>The line's key (hex) and the block's number (10 digits), so a line's blocks are one range of ids.</summary>
    public string Id { get; set; } = "";
    /// <summary>The messages' ids, 12 bytes each, in slot order.</summary>
    public byte[] Ids { get; set; } = [];
    /// <summary>
    /// The lower-cased texts joined by <see cref="Separator"/>: one string per block parses far faster than a
    /// hundred, and a search is one vectorised IndexOf over it.
    /// </summary>
    public string Texts { get; set => field = value ?? ""; } = "";
    /// <summary>Each slot's <see cref="MessageStatus"/> as a byte.</summary>
    public byte[] Statuses { get; set; } = [];

    public int Count => Statuses.Length;
}

public enum ChangeKind
{
    Send,
    Edit,
    Delete,
}

/// <summary>One version of a message (kept apart from the message so paging the log never loads history).</summary>
public sealed class MessageVersionRecord
{
    public ObjectId Id { get; set; } = ObjectId.Empty;
    public ObjectId MessageId { get; set; } = ObjectId.Empty;
    public string MemberId { get; set; } = "";
    public int Version { get; set; }
    public ChangeKind Kind { get; set; }
    public string? OldText { get; set; }
    public string NewText { get; set => field = value ?? ""; } = "";
    public string ChangedBy { get; set; } = "";
    /// <summary><c>API</c>, or the portal user who made the change.</summary>
    public string Source { get; set; } = "";
    public DateTime ChangedAt { get; set; }
    public MessageStatus Status { get; set; }
    public string? PortalAnswer { get; set; }
}

/// <summary>
/// Work waiting for the portal. Ids grow, so the outbox's order is the order changes were accepted; the dispatcher
/// never starts an item while an older item of the same message is pending.
/// </summary>
public sealed class OutboxItem
{
    public long Id { get; set; }
    public string MemberId { get; set; } = "";
    public string Connector { get; set; } = "";
    public int Line { get; set; }
    public ChangeKind Kind { get; set; }
    public ObjectId MessageId { get; set; } = ObjectId.Empty;
    /// <summary>The message version this item delivers.</summary>
    public int Version { get; set; }
    /// <summary>For sends and edits: the text to deliver.</summary>
    public string? Text { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public string? LastError { get; set; }

    /// <summary>
    /// A send may have reached the portal without us hearing back (no answer, 5xx, or the process stopped while the
    /// call was out). <c>imconnector.send.messages</c> does not de-duplicate, so such a send is preceded by a
    /// delete of its id (a no-op if the portal never got it) before it goes again.
    /// </summary>
    public bool DeleteFirst { get; set; }

    /// <summary>Set before a send call goes out; found set at start-up it means the call's fate is unknown.</summary>
    public bool InFlight { get; set; }
}
