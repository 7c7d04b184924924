using LineBridge.Components.Messages;

namespace LineBridge.Components.Fakes;

/// <summary>Lets a test push a dispatcher result to every open subscription of a portal.</summary>
public sealed class FakeMessageUpdates : IMessageUpdates
{
    private readonly List<(string MemberId, Func<SentMessage, Task> OnChanged)> _subscribers = [];

    public int SubscriberCount
    {
        get { lock (_subscribers) return _subscribers.Count; }
    }

    public IDisposable Subscribe(string memberId, Func<SentMessage, Task> onChanged)
    {
        var entry = (memberId, onChanged);
        lock (_subscribers)
            _subscribers.Add(entry);
        return new Unsubscriber(() =>
        {
            lock (_subscribers)
                _subscribers.Remove(entry);
        });
    }

    public async Task PublishAsync(string memberId, SentMessage message)
    {
        List<Func<SentMessage, Task>> targets;
        lock (_subscribers)
            targets = _subscribers.Where(s => s.MemberId == memberId).Select(s => s.OnChanged).ToList();
        foreach (var target in targets)
            await target(message);
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
