using LineBridge.Components.Messages;
using LineBridge.Storage;
using LiteDB;

namespace LineBridge.Messages;

/// <summary>
/// Carries message changes to the <em>other</em> instances that share the store, so a page connected to any instance
/// sees a status another instance set. <see cref="MessageUpdates"/> reaches the UI sessions of its own process
/// itself and then hands each change here. LiteDB (one process) registers none: the local fan-out is everything.
/// PostgreSQL: <c>NOTIFY</c> on the database, each instance <c>LISTEN</c>s, reloads the row and fans it out locally
/// (<see cref="Storage.PostgreSql.PostgreSqlMessageChangeFeed"/>).
/// </summary>
public interface IMessageChangeFeed
{
    /// <summary>
    /// Tells the other instances that these messages changed. Returns at once (never waits for the database): the
    /// dispatcher calls it on its delivery path. Best effort: a change lost on the way only leaves a remote page
    /// showing an older status until it reloads.
    /// </summary>
    void Announce(string memberId, IReadOnlyList<SentMessage> messages);
}

/// <summary>
/// What crosses between instances: which message changed, never its content (a payload must stay under PostgreSQL's
/// 8000-byte <c>NOTIFY</c> limit, and the receiver reads the committed row anyway).
/// </summary>
/// <param name="MemberId">The portal's <c>member_id</c>; only that portal's sessions are told.</param>
/// <param name="Line">The open line of the message.</param>
/// <param name="MessageId">LineBridge's id of the message (<see cref="SentMessage.Id"/>).</param>
/// <param name="Origin">The instance that made the change; it has already told its own sessions.</param>
public sealed record MessageChange(string MemberId, int Line, string MessageId, string Origin);

/// <summary>Reads a message's current state for a change another instance announced.</summary>
public interface IMessageSnapshots
{
    /// <summary>The portal's message with this id as the UI shows it, or null when it does not exist (or is not the portal's).</summary>
    SentMessage? Find(string memberId, string messageId);
}

/// <summary><see cref="IMessageSnapshots"/> over the message store.</summary>
internal sealed class StoredMessageSnapshots(MessageStore store) : IMessageSnapshots
{
    public SentMessage? Find(string memberId, string messageId)
    {
        ObjectId id;
        try
        {
            id = new ObjectId(messageId);
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
        return store.Get(memberId, id) is { } record ? MessageService.ToSentMessage(record) : null;
    }
}
