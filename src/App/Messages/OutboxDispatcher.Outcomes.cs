using System.Globalization;
using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

// What each call's answer or failure means for its work: sent, superseded, retried, held or failed.
public sealed partial class OutboxDispatcher
{
    /// <summary>Records a call's outcome: the portal's answer, or the failure (of the call, or of its command in a batch).</summary>
    private void Record(Prepared call, ConnectorMessagesResult? result, Exception? failure)
    {
        if (failure is not null) RecordFailure(failure, call.Work, call.Chunk, call.Everything, call.Method);
        else RecordAnswers(result!, call.Work, call.Chunk, call.Method);
    }

    /// <summary>Records what a failed call means for its work: waiting, retried later, or failed for good.</summary>
    private void RecordFailure(Exception failure, IReadOnlyList<Work> work, List<OutboxItem> chunk, List<OutboxItem> everything, Method method)
    {
        var first = chunk[0];
        switch (failure)
        {
            case Bitrix24Exception ex when Bitrix24Refusals.IsLineNotWorking(ex):
                // The portal is the truth about the line: it is off now. The work waits until an administrator connects
                // it again (the line's gate closes from the next round), instead of failing with the raw code.
                logger.LogWarning("The portal {MemberId} says line {LineId} does not take messages ({ErrorCode}); its work waits",
                    first.MemberId, first.Line, ex.ErrorCode);
                lines.MarkDisconnected(first.MemberId, first.Line);
                Hold(everything, method);
                break;
            case Bitrix24Exception ex when Bitrix24Refusals.IsPaymentRequired(ex):
                portals.MarkPaymentRequired(first.MemberId, WaitReasons.PaymentRequired);
                _paymentProbeAt[first.MemberId] = time.GetUtcNow().UtcDateTime + options.Value.PaymentProbeInterval;
                logger.LogWarning("The portal {MemberId} answered PAYMENT_REQUIRED; its calls stop until it pays", first.MemberId);
                Hold(everything, method);
                ShowWaiting(chunk, WaitReasons.PaymentRequired);
                break;
            case Bitrix24Exception ex when Bitrix24Refusals.IsTokenRefused(ex):
                logger.LogWarning("The portal {MemberId} refused LineBridge's tokens ({ErrorCode}); its work waits", first.MemberId, ex.ErrorCode);
                Hold(everything, method, time.GetUtcNow().UtcDateTime + Backoff(chunk.Max(i => i.Attempts) + 1));
                ShowWaiting(chunk, WaitReasons.TokensRefused(ex.ErrorCode));
                break;
            case Bitrix24Exception ex when Bitrix24Refusals.IsAppNotInstalled(ex):
                logger.LogWarning("The portal {MemberId} does not have LineBridge installed ({ErrorCode}); its work waits for a reinstall",
                    first.MemberId, ex.ErrorCode);
                // Until the uninstall is recorded (which closes the gate), ask again only now and then.
                Hold(everything, method, time.GetUtcNow().UtcDateTime + Backoff(chunk.Max(i => i.Attempts) + 1));
                ShowWaiting(chunk, WaitReasons.AppUninstalled(first.Line));
                break;
            case Bitrix24Exception ex when IsTransient(ex):
                Retry(everything, method, $"{ex.ErrorCode}: {ex.ErrorDescription}", mayHaveArrived: MayHaveArrived(ex));
                break;
            case Bitrix24Exception ex:
                logger.LogWarning("The portal {MemberId} refused {Method} for line {LineId}: {ErrorCode}",
                    first.MemberId, method, first.Line, ex.ErrorCode);
                var reason = $"{ex.ErrorCode}: {ex.ErrorDescription}";
                metrics?.Delivered(first.MemberId, method.ToString(), 0, chunk.Count);
                Finish(first.MemberId, work.SelectMany(w => Superseded(w).Append(new OutboxCompletion(w.Carrier, false, reason))).ToList());
                break;
            default:
                // No answer we can read (connection dropped, timeout): the call may or may not have been processed.
                logger.LogWarning(failure, "No answer from portal {MemberId} to {Method} for line {LineId}", first.MemberId, method, first.Line);
                Retry(everything, method, $"{Bitrix24Errors.NetworkError}: {failure.Message}", mayHaveArrived: true);
                break;
        }
    }

    /// <summary>Records the portal's answer to each element of a call, and the versions it superseded.</summary>
    private void RecordAnswers(ConnectorMessagesResult result, IReadOnlyList<Work> work, List<OutboxItem> chunk, Method method)
    {
        var first = chunk[0];
        if (result.Time?.Processing is { } processing) operatingBudget?.ObserveItems(first.MemberId, MethodName(method), chunk.Count, processing);
        if (_paymentProbeAt.TryRemove(first.MemberId, out _) && portals.MarkPaid(first.MemberId) is not null)
        {
            logger.LogInformation("The portal {MemberId} takes calls again; its waiting work goes out", first.MemberId);
        }

        var completions = new List<OutboxCompletion>();
        var cleared = new List<OutboxItem>();
        for (var i = 0; i < work.Count; i++)
        {
            var item = work[i].Carrier;
            var answer = i < result.Items.Count ? result.Items[i] : null;
            // The superseded versions settle before the one that carried their text, so the message ends with its answer.
            completions.AddRange(Superseded(work[i]));
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
        metrics?.Delivered(first.MemberId, method.ToString(), completions.Count(c => c.Success && c.SupersededBy is null),
            completions.Count(c => !c.Success));
        Finish(first.MemberId, completions);
    }

    /// <summary>The older edits a unit of work made pointless, recorded as superseded by the version that went out.</summary>
    private static IEnumerable<OutboxCompletion> Superseded(Work work) => work.Superseded.Select(old =>
        new OutboxCompletion(old, true, WaitReasons.SupersededBy(work.Carrier.Version), SupersededBy: work.Carrier.Version));

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
