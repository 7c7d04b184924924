using LineBridge.Components.Messages;

namespace LineBridge.Messages;

/// <summary>
/// Fans message changes out to the UI sessions of the message's portal: those of this process directly, those of other
/// instances through the <see cref="IMessageChangeFeed"/> when the store is shared (none with LiteDB).
/// </summary>
public sealed class MessageUpdates(ILogger<MessageUpdates> logger, IMessageChangeFeed? feed = null) : IMessageUpdates
{
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];

    public IDisposable Subscribe(string memberId, Func<SentMessage, Task> onChanged)
    {
        var subscription = new Subscription(this, memberId, onChanged);
        lock (_gate) _subscriptions.Add(subscription);
        return subscription;
    }

    /// <summary>Tells this process's sessions of the portal, then the other instances (if the store is shared).</summary>
    public void Publish(string memberId, IEnumerable<SentMessage> messages)
    {
        if (feed is null)
        {
            PublishLocal(memberId, messages);
            return;
        }
        var changed = messages as IReadOnlyList<SentMessage> ?? messages.ToList();
        PublishLocal(memberId, changed);
        if (changed.Count > 0) feed.Announce(memberId, changed);
    }

    /// <summary>True while a UI session of this process watches the portal (so a remote change is worth reloading).</summary>
    public bool HasSubscribers(string memberId)
    {
        lock (_gate) return _subscriptions.Exists(s => s.MemberId == memberId);
    }

    /// <summary>Tells this process's sessions of the portal only: for changes another instance announced.</summary>
    public void PublishLocal(string memberId, IEnumerable<SentMessage> messages)
    {
        Subscription[] targets;
        lock (_gate) targets = _subscriptions.Where(s => s.MemberId == memberId).ToArray();
        if (targets.Length == 0) return;
        foreach (var message in messages)
        {
            foreach (var target in targets) _ = NotifyAsync(target, message);
        }
    }

    // A slow or failing circuit must not hold up the dispatcher or other sessions.
    private async Task NotifyAsync(Subscription target, SentMessage message)
    {
        try
        {
            await target.OnChanged(message);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "A message update subscriber failed for message {MessageId}", message.Id);
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate) _subscriptions.Remove(subscription);
    }

    private sealed class Subscription(MessageUpdates owner, string memberId, Func<SentMessage, Task> onChanged) : IDisposable
    {
        public string MemberId { get; } = memberId;
        public Func<SentMessage, Task> OnChanged { get; } = onChanged;
        public void Dispose() => owner.Remove(this);
    }
}
