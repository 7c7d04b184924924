using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using LineBridge.Storage;
using Microsoft.Extensions.Options;

namespace LineBridge.Events;

/// <summary>
/// Works through the <see cref="EventInbox"/>: confirms received events with the portal (<see cref="EventConfirmer"/>,
/// at most <see cref="EventOptions.ConfirmationsPerMinute"/> calls per portal), then hands confirmed ones to every
/// <see cref="IPortalEventHandler"/> that takes them, oldest first. Refuted events are dropped with the reason; unclear
/// answers are retried with back-off. A handler that throws <see cref="EventNotReadyException"/> (an edit that overtook
/// its reply) keeps its event until it can be applied or is older than <see cref="EventOptions.MaxAge"/>. Everything
/// lives in the store, so a restart resumes where it stopped. With several instances on PostgreSQL, a round works only
/// on the portals whose events this instance holds (<see cref="EventInbox.ClaimDue"/>), and stops working on a portal
/// as soon as a write finds it held by another instance (this one stalled past its lease).
/// </summary>
public sealed class EventProcessor(
    EventInbox inbox, EventConfirmer confirmer, PortalStore portals, IEnumerable<IPortalEventHandler> handlers, EventSignal signal,
    IOptions<EventOptions> options, TimeProvider time, ILogger<EventProcessor> logger) : BackgroundService
{
    /// <summary>Events of one portal looked at per round (a confirmation batch holds 50).</summary>
    private const int DueLimit = 200;
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _budgets = new();
    private DateTime _lastPrune;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Processing received events failed; trying again shortly");
            }
            await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
        }
    }

    /// <summary>Confirms and applies every event that is due now.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        Prune(now);
        foreach (var memberId in inbox.PortalsWithOpenEvents())
        {
            try
            {
                await RunPortalAsync(memberId, now, cancellationToken);
            }
            catch (HandedOverException)
            {
                logger.LogInformation("Events of portal {MemberId} are now handled by another instance", memberId);
            }
        }
    }

    /// <summary>Confirms and applies one portal's due events, if this instance holds them.</summary>
    private async Task RunPortalAsync(string memberId, DateTime now, CancellationToken cancellationToken)
    {
        var events = inbox.ClaimDue(memberId, now, DueLimit).ToList();
        if (events.Count == 0) return;
        var portal = portals.Find(memberId);
        if (portal is null || portal.Status == PortalStatus.Uninstalled)
        {
            foreach (var e in events) Drop(e, "LineBridge is not installed on the portal any more.");
            return;
        }

        // A portal whose refresh token was refused cannot confirm anything with our tokens until an administrator
        // re-authorises it: its events wait (up to MaxAge) instead of spending attempts; an uninstall is still
        // decided, since refused tokens are what an uninstall looks like.
        var pending = events.Where(e => e.State == InboxState.Pending &&
                                        (portal.Status != PortalStatus.NeedsReauthorization || e.Name == PortalEventNames.AppUninstall)).ToList();
        foreach (var waiting in events.Where(e => e.State == InboxState.Pending && !pending.Contains(e) && e.SentAt < now - options.Value.MaxAge))
        {
            Drop(waiting, "The portal needed re-authorisation for longer than the event window.");
        }
        if (pending.Count > 0 && Budget(memberId).AttemptAcquire().IsAcquired)
        {
            var verdicts = await confirmer.ConfirmAsync(memberId, pending, cancellationToken);
            foreach (var e in pending)
            {
                if (!verdicts.TryGetValue(e.Id, out var verdict)) continue;
                switch (verdict.Verdict)
                {
                    case Verdict.Confirmed:
                        e.State = InboxState.Confirmed;
                        e.Outcome = verdict.Reason;
                        Save(e);
                        break;
                    case Verdict.Refuted:
                        Drop(e, verdict.Reason);
                        break;
                    default:
                        Retry(e, verdict.Reason, now);
                        break;
                }
            }
        }

        foreach (var e in events.Where(e => e.State == InboxState.Confirmed && e.NextAttemptAt <= now))
        {
            await ApplyAsync(e, now, cancellationToken);
        }
    }

    private async Task ApplyAsync(InboxEvent inboxEvent, DateTime now, CancellationToken cancellationToken)
    {
        var portalEvent = inboxEvent.ToPortalEvent();
        foreach (var handler in handlers.Where(h => h.Handles(portalEvent.Name)))
        {
            try
            {
                await handler.HandleAsync(portalEvent, cancellationToken);
            }
            catch (EventNotReadyException ex)
            {
                if (inboxEvent.SentAt < now - options.Value.MaxAge)
                {
                    Drop(inboxEvent, $"Could not be applied within {options.Value.MaxAge.TotalHours:0} hours: {ex.Message}");
                    return;
                }
                inboxEvent.Attempts++;
                inboxEvent.Outcome = ex.Message;
                inboxEvent.NextAttemptAt = now + Backoff(inboxEvent.Attempts);
                Save(inboxEvent);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The portal never re-delivers, so one failing feature must not cost the others their event.
                logger.LogError(ex, "Handler {Handler} failed on event {EventName} of portal {MemberId}", handler.GetType().Name, portalEvent.Name, portalEvent.MemberId);
            }
        }
        inboxEvent.State = InboxState.Applied;
        inboxEvent.NextAttemptAt = DateTime.MaxValue;
        Save(inboxEvent);
        // A reply that landed may be what confirmed edits or deletes were waiting for.
        if (portalEvent.Name == PortalEventNames.MessageAdd) inbox.WakeWaiting(inboxEvent.MemberId, now);
    }

    private void Retry(InboxEvent e, string reason, DateTime now)
    {
        e.Attempts++;
        if (e.Attempts >= options.Value.MaxAttempts || e.SentAt < now - options.Value.MaxAge)
        {
            Drop(e, $"Gave up confirming it after {e.Attempts} attempts: {reason}");
            return;
        }
        e.Outcome = reason;
        e.NextAttemptAt = now + Backoff(e.Attempts);
        Save(e);
    }

    private void Drop(InboxEvent e, string reason)
    {
        e.State = InboxState.Dropped;
        e.Outcome = reason;
        e.NextAttemptAt = DateTime.MaxValue;
        Save(e);
        logger.LogWarning("Dropped event {EventName} of portal {MemberId}: {Reason}", e.Name, e.MemberId, reason);
    }

    /// <summary>Writes an event back; another instance holding its portal now ends this portal's round (nothing written).</summary>
    private void Save(InboxEvent e)
    {
        if (!inbox.Update(e)) throw new HandedOverException();
    }

    /// <summary>This instance no longer holds the portal's events (it stalled past its lease; another took over).</summary>
    private sealed class HandedOverException : Exception;

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(60_000, 250 * Math.Pow(2, Math.Min(attempt - 1, 10))));

    private TokenBucketRateLimiter Budget(string memberId) => _budgets.GetOrAdd(memberId, _ =>
    {
        var perMinute = Math.Max(1, options.Value.ConfirmationsPerMinute);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, perMinute / 2),
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1.0 / perMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    });

    private void Prune(DateTime now)
    {
        if (now - _lastPrune < TimeSpan.FromMinutes(10)) return;
        _lastPrune = now;
        inbox.Prune(now - options.Value.MaxAge - options.Value.MaxClockSkew);
    }

    /// <summary>At a graceful stop, hands this instance's portals over to the others at once (PostgreSQL).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            inbox.Release();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not fatal: the leases lapse by themselves.
            logger.LogWarning(ex, "Could not release the event leases at stop");
        }
    }

    public override void Dispose()
    {
        foreach (var budget in _budgets.Values) budget.Dispose();
        base.Dispose();
    }
}
