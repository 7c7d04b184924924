using System.Globalization;
using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>
/// Delivers the outbox to the portals through the typed client (which paces to each portal's rate limit and refreshes
/// tokens). Work for the same portal, connector, line and REST method travels in one call's <c>MESSAGES</c>, up to
/// <see cref="MessageOptions.BatchSize"/>. A message's changes go in the order they were accepted: an item waits while
/// an older item of the same message is pending. Transient failures retry with back-off; a send that may have arrived
/// is deleted at the portal before it goes again, because <c>imconnector.send.messages</c> does not de-duplicate.
/// Work that cannot go out now for a reason that mends by itself is not attempted and not failed: it waits, shown as
/// <see cref="MessageStatus.Waiting"/> with the reason, while its line is not connected, while the app is uninstalled
/// from the portal, or while the portal must pay (then one call every <see cref="MessageOptions.PaymentProbeInterval"/>
/// finds out whether it has). It goes out once the reason is gone; nothing is dropped.
/// </summary>
public sealed class OutboxDispatcher(
    MessageStore store,
    LineConnections lines,
    PortalStore portals,
    Bitrix24ClientFactory clients,
    OutboxSignal signal,
    MessageUpdates updates,
    IOptions<MessageOptions> options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger,
    Observability.LineBridgeMetrics? metrics = null) : BackgroundService
{
    private const int MaxItemsPerRound = 20_000;

    // When each paying-required portal may be probed again (in memory: after a restart the first round probes).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTime> _paymentProbeAt = new();

    private enum Method
    {
        Send,
        Update,
        Delete,
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting; the dispatcher's first store access must not delay it.
        await Task.Yield();
        var recovered = store.Outbox.RecoverInFlight();
        if (recovered > 0)
        {
            logger.LogWarning("{Count} sends were out with the portal when the app stopped; they are deleted at the portal before they go again", recovered);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "The outbox dispatcher failed a round; it tries again shortly");
                wait = options.Value.PollInterval;
            }
            if (wait > TimeSpan.Zero) await signal.WaitAsync(wait, stoppingToken);
        }
        // Other instances on a shared store take this one's claimed work at once instead of after the lease.
        try
        {
            store.Outbox.Release();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "The outbox could not release its claimed work; other instances take it after the lease");
        }
    }

    /// <summary>Delivers everything due now, one batch per group; returns how long to wait before the next round.</summary>
    public async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var pending = store.Outbox.Claim(MaxItemsPerRound);
        if (pending.Count == 0) return options.Value.PollInterval;

        var now = time.GetUtcNow().UtcDateTime;
        var firstOfMessage = new HashSet<ObjectId>();
        var ready = new List<OutboxItem>();
        var waiting = new Dictionary<string, List<OutboxItem>>();
        var gone = new List<OutboxCompletion>();
        var reasons = new Dictionary<(string MemberId, int Line), Gate>();
        var nextDue = DateTime.MaxValue;
        foreach (var item in pending)
        {
            // Only the oldest item of a message may go; the rest wait for it (an edit never overtakes its send).
            if (!firstOfMessage.Add(item.MessageId)) continue;
            var gate = GateOf(item, now, reasons);
            if (gate.Kind == GateKind.Closed)
            {
                if (!waiting.TryGetValue(gate.Reason!, out var list)) waiting[gate.Reason!] = list = [];
                list.Add(item);
                continue;
            }
            if (gate.Kind == GateKind.Gone)
            {
                gone.Add(new OutboxCompletion(item, false, gate.Reason!));
                continue;
            }
            var due = item.NextAttemptAt.ToUniversalTime();
            if (due <= now) ready.Add(item);
            else if (due < nextDue) nextDue = due;
        }
        foreach (var (reason, items) in waiting) ShowWaiting(items, reason);
        foreach (var portal in gone.GroupBy(c => c.Item.MemberId)) Finish(portal.Key, portal.ToList());
        if (ready.Count == 0)
        {
            var untilDue = nextDue - now;
            return untilDue < options.Value.PollInterval ? untilDue : options.Value.PollInterval;
        }

        // Portals are independent (each has its own rate limit), so they are served side by side.
        var portals = ready.GroupBy(i => i.MemberId).Select(p => DeliverPortalAsync(p.ToList(), cancellationToken));
        await Task.WhenAll(portals);
        return TimeSpan.Zero;
    }

    private enum GateKind
    {
        Open,
        /// <summary>Cannot go out now; waits with the reason.</summary>
        Closed,
        /// <summary>Can never go out (the line was deleted): fails with the reason.</summary>
        Gone,
    }

    private readonly record struct Gate(GateKind Kind, string? Reason = null);

    /// <summary>Whether an item may go to its portal now, decided once per portal and line each round.</summary>
    private Gate GateOf(OutboxItem item, DateTime now, Dictionary<(string, int), Gate> known)
    {
        if (known.TryGetValue((item.MemberId, item.Line), out var gate)) return gate;
        gate = Decide(item.MemberId, item.Line, now);
        known[(item.MemberId, item.Line)] = gate;
        return gate;
    }

    private Gate Decide(string memberId, int line, DateTime now)
    {
        var portal = portals.Find(memberId);
        if (portal?.Status == PortalStatus.Uninstalled) return new(GateKind.Closed, WaitReasons.AppUninstalled(line));
        if (portal?.Status == PortalStatus.PaymentRequired &&
            _paymentProbeAt.TryGetValue(memberId, out var probeAt) && now < probeAt)
        {
            return new(GateKind.Closed, WaitReasons.PaymentRequired);
        }
        return lines.GetState(memberId, line) switch
        {
            LineConnectionState.Connected => new(GateKind.Open),
            LineConnectionState.Deleted => new(GateKind.Gone, WaitReasons.LineDeleted(line)),
            _ => new(GateKind.Closed, WaitReasons.LineDisconnected(line)),
        };
    }

    /// <summary>Shows work that waits with its reason; only messages whose status or reason changes are written.</summary>
    private void ShowWaiting(IReadOnlyList<OutboxItem> items, string reason)
    {
        var changed = store.Outbox.MarkWaiting(items.Select(i => i.MessageId).ToList(), reason);
        if (changed.Count == 0) return;
        foreach (var portal in changed.GroupBy(r => r.MemberId)) updates.Publish(portal.Key, portal.Select(MessageService.ToSentMessage));
        logger.LogInformation("{Count} messages wait: {Reason}", changed.Count, reason);
    }

    private async Task DeliverPortalAsync(List<OutboxItem> items, CancellationToken cancellationToken)
    {
        var batchSize = Math.Max(1, options.Value.BatchSize);
        var groups = items
            .GroupBy(i => (i.Connector, i.Line, Method: MethodOf(i)))
            .OrderBy(g => g.Min(i => i.Id));
        foreach (var group in groups)
        {
            foreach (var chunk in group.OrderBy(i => i.Id).Chunk(batchSize))
            {
                // An earlier call of this round may have closed the gate (the line is off, the portal must pay):
                // the rest waits for the next round, which shows why.
                if (Decide(chunk[0].MemberId, chunk[0].Line, time.GetUtcNow().UtcDateTime).Kind != GateKind.Open) break;
                await DeliverAsync(chunk, group.Key.Method, cancellationToken);
            }
        }
    }

    private static Method MethodOf(OutboxItem item) => item.Kind switch
    {
        ChangeKind.Send when item.DeleteFirst => Method.Delete,
        ChangeKind.Send => Method.Send,
        ChangeKind.Edit => Method.Update,
        _ => Method.Delete,
    };

    private async Task DeliverAsync(IReadOnlyList<OutboxItem> chunk, Method method, CancellationToken cancellationToken)
    {
        var first = chunk[0];
        var records = chunk.Select(i => store.Log.GetById(i.MessageId)).ToList();
        var orphans = chunk.Where((_, i) => records[i] is null).ToList();
        if (orphans.Count > 0)
        {
            Finish(first.MemberId, orphans.Select(o => new OutboxCompletion(o, false, "The message record is missing.")).ToList());
            chunk = chunk.Where((_, i) => records[i] is not null).ToList();
            records = records.Where(r => r is not null).ToList();
            if (chunk.Count == 0) return;
        }

        if (method == Method.Send)
        {
            // On a shared store an item whose lease lapsed may be another instance's now: only what is still held goes.
            var held = store.Outbox.MarkInFlight(chunk).Select(i => i.Id).ToHashSet();
            if (held.Count < chunk.Count)
            {
                records = records.Where((_, i) => held.Contains(chunk[i].Id)).ToList();
                chunk = chunk.Where(i => held.Contains(i.Id)).ToList();
                if (chunk.Count == 0) return;
            }
        }
        var request = new ConnectorMessagesRequest(
            first.Connector, first.Line, chunk.Select((item, i) => Build(item, records[i]!, method)).ToList());

        ConnectorMessagesResult result;
        try
        {
            var connectors = clients.ForPortal(first.MemberId).Connectors;
            result = method switch
            {
                Method.Send => await connectors.SendMessagesAsync(request, cancellationToken),
                Method.Update => await connectors.UpdateMessagesAsync(request, cancellationToken),
                _ => await connectors.DeleteMessagesAsync(request, cancellationToken),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: sends stay marked in flight, so the next start deletes them before sending again.
            throw;
        }
        catch (Bitrix24Exception ex) when (Bitrix24Refusals.IsLineNotWorking(ex))
        {
            // The portal is the truth about the line: it is off now. The work waits until an administrator connects
            // it again (the line's gate closes from the next round), instead of failing with the raw code.
            logger.LogWarning("The portal {MemberId} says line {LineId} does not take messages ({ErrorCode}); its work waits",
                first.MemberId, first.Line, ex.ErrorCode);
            lines.MarkDisconnected(first.MemberId, first.Line);
            Hold(chunk, method);
            return;
        }
        catch (Bitrix24Exception ex) when (Bitrix24Refusals.IsPaymentRequired(ex))
        {
            portals.MarkPaymentRequired(first.MemberId, WaitReasons.PaymentRequired);
            _paymentProbeAt[first.MemberId] = time.GetUtcNow().UtcDateTime + options.Value.PaymentProbeInterval;
            logger.LogWarning("The portal {MemberId} answered PAYMENT_REQUIRED; its calls stop until it pays", first.MemberId);
            Hold(chunk, method);
            ShowWaiting(chunk, WaitReasons.PaymentRequired);
            return;
        }
        catch (Bitrix24Exception ex) when (Bitrix24Refusals.IsTokenRefused(ex))
        {
            logger.LogWarning("The portal {MemberId} refused LineBridge's tokens ({ErrorCode}); its work waits", first.MemberId, ex.ErrorCode);
            Hold(chunk, method, time.GetUtcNow().UtcDateTime + Backoff(chunk.Max(i => i.Attempts) + 1));
            ShowWaiting(chunk, WaitReasons.TokensRefused(ex.ErrorCode));
            return;
        }
        catch (Bitrix24Exception ex) when (Bitrix24Refusals.IsAppNotInstalled(ex))
        {
            logger.LogWarning("The portal {MemberId} does not have LineBridge installed ({ErrorCode}); its work waits for a reinstall",
                first.MemberId, ex.ErrorCode);
            // Until the uninstall is recorded (which closes the gate), ask again only now and then.
            Hold(chunk, method, time.GetUtcNow().UtcDateTime + Backoff(chunk.Max(i => i.Attempts) + 1));
            ShowWaiting(chunk, WaitReasons.AppUninstalled(first.Line));
            return;
        }
        catch (Bitrix24Exception ex) when (IsTransient(ex))
        {
            Retry(chunk, method, $"{ex.ErrorCode}: {ex.ErrorDescription}", mayHaveArrived: MayHaveArrived(ex));
            return;
        }
        catch (Bitrix24Exception ex)
        {
            logger.LogWarning("The portal {MemberId} refused {Method} for line {LineId}: {ErrorCode}",
                first.MemberId, method, first.Line, ex.ErrorCode);
            var reason = $"{ex.ErrorCode}: {ex.ErrorDescription}";
            metrics?.Delivered(first.MemberId, method.ToString(), 0, chunk.Count);
            Finish(first.MemberId, chunk.Select(i => new OutboxCompletion(i, false, reason)).ToList());
            return;
        }
        catch (Exception ex)
        {
            // No answer we can read (connection dropped, timeout): the call may or may not have been processed.
            logger.LogWarning(ex, "No answer from portal {MemberId} to {Method} for line {LineId}", first.MemberId, method, first.Line);
            Retry(chunk, method, $"{Bitrix24Errors.NetworkError}: {ex.Message}", mayHaveArrived: true);
            return;
        }

        if (_paymentProbeAt.TryRemove(first.MemberId, out _) && portals.MarkPaid(first.MemberId) is not null)
        {
            logger.LogInformation("The portal {MemberId} takes calls again; its waiting work goes out", first.MemberId);
        }

        var completions = new List<OutboxCompletion>();
        var cleared = new List<OutboxItem>();
        for (var i = 0; i < chunk.Count; i++)
        {
            var item = chunk[i];
            var answer = i < result.Items.Count ? result.Items[i] : null;
            if (answer is null)
            {
                completions.Add(new OutboxCompletion(item, false, "The portal returned no result for this message."));
            }
            else if (item.Kind == ChangeKind.Send && item.DeleteFirst && answer.Success)
            {
                cleared.Add(item);
            }
            else
            {
                completions.Add(new OutboxCompletion(item, answer.Success, Describe(answer), answer));
            }
        }
        if (cleared.Count > 0) store.Outbox.ClearDeleteFirst(cleared);
        metrics?.Delivered(first.MemberId, method.ToString(), completions.Count(c => c.Success), completions.Count(c => !c.Success));
        Finish(first.MemberId, completions);
    }

    private void Finish(string memberId, IReadOnlyList<OutboxCompletion> completions)
    {
        if (completions.Count == 0) return;
        var changed = store.Outbox.Complete(completions);
        updates.Publish(memberId, changed.Select(MessageService.ToSentMessage));
    }

    private void Retry(IReadOnlyList<OutboxItem> chunk, Method method, string reason, bool mayHaveArrived)
    {
        metrics?.Retried(chunk[0].MemberId, method.ToString(), chunk.Count);
        var attempts = chunk.Max(i => i.Attempts) + 1;
        var delay = Backoff(attempts);
        store.Outbox.Reschedule(chunk, reason, time.GetUtcNow().UtcDateTime + delay, deleteFirst: method == Method.Send && mayHaveArrived);
        // Attempt and next try travel in the reason (a fixed, parseable shape) so people see how long it has been waiting.
        var changed = store.Outbox.NoteRetry(chunk, WaitReasons.Retry(attempts, time.GetUtcNow().UtcDateTime + delay, reason));
        updates.Publish(chunk[0].MemberId, changed.Select(MessageService.ToSentMessage));
        logger.LogInformation("Retrying {Count} {Method} items for line {LineId} in {Delay}", chunk.Count, method, chunk[0].Line, delay);
    }

    /// <summary>
    /// Puts work back untouched (no attempt counted): the portal refused it before running it, for a reason that
    /// closes the gate. A send that was refused this way never arrived, so it needs no delete first.
    /// </summary>
    private void Hold(IReadOnlyList<OutboxItem> chunk, Method method, DateTime? notBefore = null)
    {
        store.Outbox.Hold(chunk, notBefore);
        logger.LogDebug("Holding {Count} {Method} items for line {LineId}", chunk.Count, method, chunk[0].Line);
    }

    private TimeSpan Backoff(int attempts)
    {
        var o = options.Value;
        var exponential = o.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 20));
        var capped = Math.Min(exponential, o.MaxRetryDelay.TotalMilliseconds);
        // Jitter keeps many retrying portals from waking in step.
        return TimeSpan.FromMilliseconds(capped * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    private static ConnectorMessage Build(OutboxItem item, MessageRecord record, Method method)
    {
        var stored = MessageStore.DeserializePayload(record.Payload);
        // The log keeps the names as the external system sent them; the portal gets them within its rule.
        var sent = stored with
        {
            User = stored.User with
            {
                Name = ExternalUserNames.Normalise(stored.User.Name),
                LastName = ExternalUserNames.Normalise(stored.User.LastName),
            },
        };
        return method switch
        {
            Method.Send => sent with { Message = sent.Message with { Text = item.Text } },
            // The same user, chat and LINE as the send, or the portal finds no dialog (and still answers SUCCESS).
            Method.Update => sent with { Message = new ConnectorMessageBody { Id = record.ExternalMessageId, Text = item.Text ?? "" } },
            _ => sent with { Message = new ConnectorMessageBody { Id = record.ExternalMessageId } },
        };
    }

    private static string Describe(MessageItemResult answer)
    {
        if (!answer.Success)
        {
            return answer.Errors.Count > 0 ? string.Join("; ", answer.Errors) : WaitReasons.RefusedWithoutReason;
        }
        var details = new List<string>();
        if (answer.PortalUserId is { } user) details.Add($"user {user}");
        if (answer.SessionId is { } session) details.Add($"session {session}");
        if (answer.PortalChatId is { } chat) details.Add($"chat {chat}");
        return details.Count > 0 ? $"SUCCESS ({string.Join(", ", details)})" : "SUCCESS";
    }

    /// <summary>
    /// Worth another attempt later: the portal was busy, over its limits, unreachable, or failed inside; or it refused
    /// our refresh token, which an administrator mends by opening the app (until then each attempt fails locally,
    /// without a call, and the accepted work must wait rather than be lost).
    /// </summary>
    internal static bool IsTransient(Bitrix24Exception ex) =>
        ex.StatusCode == 0
        || (int)ex.StatusCode >= 500
        || ex.StatusCode == HttpStatusCode.TooManyRequests
        || ex.ErrorCode is Bitrix24Errors.NetworkError or Bitrix24Errors.QueryLimitExceeded
            or Bitrix24Errors.OperationTimeLimit or Bitrix24Errors.ExpiredToken or Bitrix24Errors.InternalServerError
            or Bitrix24Errors.ReauthorizationRequired;

    /// <summary>
    /// The portal may have processed the call even though it failed: no answer arrived, or it failed inside.
    /// Limit answers are given before the method runs, so nothing arrived.
    /// </summary>
    internal static bool MayHaveArrived(Bitrix24Exception ex) =>
        ex.ErrorCode is not (Bitrix24Errors.QueryLimitExceeded or Bitrix24Errors.OperationTimeLimit or Bitrix24Errors.ExpiredToken)
        && (ex.StatusCode == 0 || ex.ErrorCode == Bitrix24Errors.NetworkError || (int)ex.StatusCode >= 500);
}
