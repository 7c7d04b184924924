namespace LineBridge.Components.Messages;

/// <summary>What happened to an edit request.</summary>
public abstract record EditOutcome
{
    /// <summary>Stored and queued for the portal; watch <see cref="IMessageUpdates"/> for it to become sent or failed.</summary>
    public sealed record Accepted(SentMessage Message) : EditOutcome;

    /// <summary>Someone changed the message first; <see cref="Current"/> holds their text and name.</summary>
    public sealed record Conflict(SentMessage Current) : EditOutcome;

    public sealed record NotFound : EditOutcome;

    /// <summary>
    /// The edit is invalid (e.g. empty or too long); <see cref="Reason"/> says what to fix, as recorded: an encoded
    /// <see cref="Localization.LocalText"/> or a plain English text. Show it with <c>Localizer.DescribeReason</c>.
    /// </summary>
    public sealed record Rejected(string Reason) : EditOutcome;
}

/// <summary>
/// What the history dialog hands back after a revert: the message now, the version whose text it took, and the
/// version it replaced (reverting to that one undoes the revert).
/// </summary>
public sealed record RevertOutcome(SentMessage Message, int ToVersion, int ReplacedVersion);
