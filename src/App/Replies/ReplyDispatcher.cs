using System.Globalization;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Localization;
using LineBridge.Messages;
using LineBridge.Storage;
using Microsoft.Extensions.Options;

namespace LineBridge.Replies;

/// <summary>
/// Delivers stored reply changes to their line's webhook, then tells the portal a new reply was delivered
/// (<c>imconnector.send.status.delivery</c>, which links the portal's message to the external id so later edits and
/// deletes raise events, §9.5). Work lives in LiteDB, so a restart resumes it; failures are retried with exponential
/// back-off and jitter; a message's changes go out in order. A call cut off by a crash is repeated with the same
/// event id, which is what receivers de-duplicate on. Each portal's deliveries run in a worker of their own (at most
/// <see cref="ReplyOptions.MaxConcurrentPortals"/> at once), so one portal's slow webhook delays no other portal.
/// </summary>
public sealed class ReplyDispatcher(
    MessageStore store, LineWebhookStore webhooks, WebhookSender sender, Bitrix24ClientFactory clients,
    MessageUpdates updates, ReplySignal signal, IOptions<ReplyOptions> options, TimeProvider time,
    ILogger<ReplyDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 200;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private SemaphoreSlim? _slots;

    private SemaphoreSlim Slots => LazyInitializer.EnsureInitialized(ref _slots, () => new SemaphoreSlim(options.Value.MaxConcurrentPortals));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                StartDuePortals(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Delivering operator replies failed; trying again shortly");
            }
            await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
        }
        await Task.WhenAll(_running.Values.ToArray()).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Works through every delivery that is due now, and waits until every portal's worker is done.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken = default)
    {
        StartDuePortals(cancellationToken);
        await Task.WhenAll(_running.Values.ToArray());
    }

    /// <summary>
    /// Starts a worker for every portal with deliveries that has none running, up to
    /// <see cref="ReplyOptions.MaxConcurrentPortals"/> at once. Workers are not awaited here: a portal whose webhook
    /// takes its full timeout holds only its own worker.
    /// </summary>
    private void StartDuePortals(CancellationToken cancellationToken)
    {
        foreach (var memberId in store.PortalsWithDeliveries())
        {
            if (_running.ContainsKey(memberId)) continue;
            if (!Slots.Wait(0)) return;
            var worker = new TaskCompletionSource();
            if (!_running.TryAdd(memberId, worker.Task))
            {
                Slots.Release();
                continue;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await RunPortalAsync(memberId, cancellationToken);
                }
                catch (DeliveriesHandedOverException)
                {
                    // This instance stalled past its lease; the new holder delivers them (and records their outcomes).
                    logger.LogInformation("Operator replies of portal {MemberId} are now delivered by another instance", memberId);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Delivering operator replies of portal {MemberId} failed; trying again shortly", memberId);
                }
                finally
                {
                    _running.TryRemove(memberId, out _);
                    Slots.Release();
                    worker.TrySetResult();
                }
            }, CancellationToken.None);
        }
    }

    /// <summary>One portal's due deliveries, in order.</summary>
    private async Task RunPortalAsync(string memberId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var waiting = new HashSet<LiteDB.ObjectId>();
        foreach (var delivery in store.LoadDeliveries(memberId, BatchSize))
        {
            // An older change of the same message still waiting for its webhook holds the later ones back.
            var blocked = waiting.Contains(delivery.MessageId);
            if (delivery.Stage == DeliveryStage.Webhook) waiting.Add(delivery.MessageId);
            if (blocked || delivery.NextAttemptAt > now) continue;

            try
            {
                if (delivery.Stage == DeliveryStage.Webhook && !await DeliverAsync(delivery, cancellationToken)) continue;
                if (delivery.Stage == DeliveryStage.PortalStatus)
                {
                    waiting.Remove(delivery.MessageId);
                    await ReportDeliveredAsync(delivery, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is not DeliveriesHandedOverException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
            {
                // Unexpected (e.g. the portal is gone, or the secret cannot be decrypted): back off like any failure
                // rather than spin on it every poll.
                logger.LogError(ex, "Delivery {EventId} of line {LineId} failed unexpectedly", delivery.EventId, delivery.Line);
                Fail(delivery, $"Unexpected error ({ex.GetType().Name}).");
            }
        }
    }

    private async Task<bool> DeliverAsync(ReplyDelivery delivery, CancellationToken cancellationToken)
    {
        var target = webhooks.Target(delivery.MemberId, delivery.Line);
        if (target is null)
        {
            // Not a failure: nothing was tried. It waits for an address (setting one wakes us), looking again now and then.
            var waiting = store.WaitForAddress(delivery, WaitReasons.NoWebhook(delivery.Line), time.GetUtcNow().UtcDateTime + options.Value.PollInterval);
            if (waiting is not null) updates.Publish(waiting.MemberId, [MessageService.ToSentMessage(waiting)]);
            return false;
        }

        var answer = await sender.SendAsync(target, delivery.EventType, delivery.EventId, delivery.Body, cancellationToken);
        if (!answer.Success)
        {
            Fail(delivery, answer.Detail);
            return false;
        }

        // Without an id of its own from the external system, ours links the portal's message just as well.
        var externalId = answer.ExternalId ?? delivery.MessageId.ToString();
        var record = store.CompleteWebhook(delivery, answer.Detail, externalId);
        logger.LogInformation("Delivered {EventType} {EventId} of line {LineId} to its webhook", delivery.EventType, delivery.EventId, delivery.Line);
        if (record is not null) updates.Publish(record.MemberId, [MessageService.ToSentMessage(record)]);
        return true;
    }

    private async Task ReportDeliveredAsync(ReplyDelivery delivery, CancellationToken cancellationToken)
    {
        var record = store.GetById(delivery.MessageId);
        if (record is null || record.ImChatId is null || record.ImMessageId is null)
        {
            store.CompletePortalStatus(delivery);
            return;
        }
        try
        {
            var message = new ConnectorStatusMessage(
                new ConnectorImReference(record.ImChatId, record.ImMessageId),
                new ConnectorStatusMessageBody([delivery.ExternalId ?? record.Id.ToString()], time.GetUtcNow().ToUnixTimeSeconds()),
                new ConnectorChatReference(record.ChatId));
            await clients.ForPortal(delivery.MemberId).Connectors.SendDeliveryStatusAsync(
                new ConnectorStatusRequest(delivery.Connector, delivery.Line, [message]), cancellationToken);
            store.CompletePortalStatus(delivery);
        }
        catch (Bitrix24Exception ex)
        {
            logger.LogWarning("The portal refused the delivery status of {EventId}: {ErrorCode}", delivery.EventId, ex.ErrorCode);
            Fail(delivery, $"The portal refused the delivery status ({ex.ErrorCode}).");
        }
    }

    private void Fail(ReplyDelivery delivery, string reason)
    {
        var o = options.Value;
        var attempt = delivery.Attempts + 1;
        DateTime? next = attempt >= o.MaxAttempts ? null : time.GetUtcNow().UtcDateTime + Backoff(attempt, o);
        // Recorded language-neutral (the UI tells it in the viewer's language); the reason itself is the sender's words.
        var shown = new LocalText(next is null ? "Reason.ReplyGaveUp" : "Reason.ReplyRetrying",
            attempt.ToString(CultureInfo.InvariantCulture), reason).Encode();
        var record = store.FailDelivery(delivery, shown, next);
        logger.LogWarning("Delivery {EventId} of line {LineId} failed (attempt {Attempt}): {Reason}", delivery.EventId, delivery.Line, attempt, reason);
        if (record is not null) updates.Publish(record.MemberId, [MessageService.ToSentMessage(record)]);
    }

    /// <summary>Exponential back-off with "equal jitter": half the delay fixed, half random, capped.</summary>
    public static TimeSpan Backoff(int attempt, ReplyOptions options)
    {
        var exponential = options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }
}
