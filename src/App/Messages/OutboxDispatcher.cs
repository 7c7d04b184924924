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
/// </summary>
public sealed class OutboxDispatcher(
    MessageStore store,
    Bitrix24ClientFactory clients,
    OutboxSignal signal,
    MessageUpdates updates,
    IOptions<MessageOptions> options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger,
    Observability.LineBridgeMetrics? metrics = null) : BackgroundService
{
    private const int MaxItemsPerRound = 20_000;

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
        var recovered = store.RecoverInFlight();
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
    }

    /// <summary>Delivers everything due now, one batch per group; returns how long to wait before the next round.</summary>
    public async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var pending = store.LoadOutbox(MaxItemsPerRound);
        if (pending.Count == 0) return options.Value.PollInterval;

        var now = time.GetUtcNow().UtcDateTime;
        var firstOfMessage = new HashSet<ObjectId>();
        var ready = new List<OutboxItem>();
        var nextDue = DateTime.MaxValue;
        foreach (var item in pending)
        {
            // Only the oldest item of a message may go; the rest wait for it (an edit never overtakes its send).
            if (!firstOfMessage.Add(item.MessageId)) continue;
            var due = item.NextAttemptAt.ToUniversalTime();
            if (due <= now) ready.Add(item);
            else if (due < nextDue) nextDue = due;
        }
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
        var records = chunk.Select(i => store.GetById(i.MessageId)).ToList();
        var orphans = chunk.Where((_, i) => records[i] is null).ToList();
        if (orphans.Count > 0)
        {
            Finish(first.MemberId, orphans.Select(o => new OutboxCompletion(o, false, "The message record is missing.")).ToList());
            chunk = chunk.Where((_, i) => records[i] is not null).ToList();
            records = records.Where(r => r is not null).ToList();
            if (chunk.Count == 0) return;
        }

        var request = new ConnectorMessagesRequest(
            first.Connector, first.Line, chunk.Select((item, i) => Build(item, records[i]!, method)).ToList());
        if (method == Method.Send) store.MarkInFlight(chunk);

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
        if (cleared.Count > 0) store.ClearDeleteFirst(cleared);
        metrics?.Delivered(first.MemberId, method.ToString(), completions.Count(c => c.Success), completions.Count(c => !c.Success));
        Finish(first.MemberId, completions);
    }

    private void Finish(string memberId, IReadOnlyList<OutboxCompletion> completions)
    {
        if (completions.Count == 0) return;
        var changed = store.Complete(completions);
        updates.Publish(memberId, changed.Select(MessageService.ToSentMessage));
    }

    private void Retry(IReadOnlyList<OutboxItem> chunk, Method method, string reason, bool mayHaveArrived)
    {
        metrics?.Retried(chunk[0].MemberId, method.ToString(), chunk.Count);
        var attempts = chunk.Max(i => i.Attempts) + 1;
        var delay = Backoff(attempts);
        store.Reschedule(chunk, reason, time.GetUtcNow().UtcDateTime + delay, deleteFirst: method == Method.Send && mayHaveArrived);
        // Attempt and next try travel in the reason (a fixed, parseable shape) so people see how long it has been waiting.
        var changed = store.NoteRetry(chunk, string.Create(CultureInfo.InvariantCulture,
            $"Waiting to retry (attempt {attempts}, next try at {time.GetUtcNow().UtcDateTime + delay:yyyy-MM-ddTHH:mm:ssZ}) ({reason})"));
        updates.Publish(chunk[0].MemberId, changed.Select(MessageService.ToSentMessage));
        logger.LogInformation("Retrying {Count} {Method} items for line {LineId} in {Delay}", chunk.Count, method, chunk[0].Line, delay);
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
        var sent = MessageStore.DeserializePayload(record.Payload);
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
            return answer.Errors.Count > 0 ? string.Join("; ", answer.Errors) : "The portal refused the message without a reason.";
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
