using LineBridge.Events;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Infrastructure;

public sealed partial class SandboxedApp
{
    /// <summary>
    /// What background work is still outstanding, or null when the app and its sandbox are quiet: no event the
    /// sandbox queued is still on its way to the app, no received event waits for confirmation or its handlers
    /// (<see cref="EventInbox"/>), no outbox item waits for the portal and no operator reply waits for its webhook or
    /// delivery status. A test that compares state before and after a request must start from quiet, or it sees the
    /// background settle earlier tests' work and takes it for the request's doing.
    /// </summary>
    public string? Outstanding()
    {
        var busy = new List<string>();
        var deliveries = Sandbox.Portals.Sum(p => p.EventDeliveries.Count(d => d.Completed is null));
        if (deliveries > 0) busy.Add($"{deliveries} sandbox event deliveries on their way");
        var inbox = Services.GetRequiredService<EventInbox>();
        foreach (var memberId in inbox.PortalsWithOpenEvents())
        {
            busy.Add($"{inbox.CountOpen(memberId)} received events of {memberId} not yet confirmed or applied");
        }
        var messages = Services.GetRequiredService<MessageStore>();
        if (messages.HasPendingWork()) busy.Add("outbox items waiting for the portal");
        var replies = messages.PortalsWithDeliveries();
        if (replies.Count > 0) busy.Add($"operator replies of {string.Join(", ", replies)} waiting for delivery");
        return busy.Count == 0 ? null : string.Join("; ", busy);
    }

    /// <summary>
    /// Waits (condition polling, as <see cref="WaitUntilAsync(Func{bool}, string, TimeSpan?, Func{string}?)"/>) until
    /// <see cref="Outstanding"/> is null. The quiet must hold on two looks 50 ms apart, so that work one background
    /// worker hands to another between their store writes (an event applied that queues a portal call) is seen.
    /// </summary>
    /// <exception cref="TimeoutException">Work stayed outstanding for the whole wait; the message says which.</exception>
    public async Task WaitUntilQuietAsync(TimeSpan? timeout = null)
    {
        var quietLooks = 0;
        await WaitUntilAsync(() =>
        {
            quietLooks = Outstanding() is null ? quietLooks + 1 : 0;
            return quietLooks >= 2;
        }, "the app is quiet (no background work outstanding)", timeout, () => Outstanding() ?? "quiet on the last look only");
    }
}
