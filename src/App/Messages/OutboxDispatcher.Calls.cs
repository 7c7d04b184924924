using System.Globalization;
using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

// The dispatcher's calls: a portal's work packed into calls and batch requests, each made within the portal's budgets.
public sealed partial class OutboxDispatcher
{
    /// <summary>Delivers a portal's ready work; true when at least one call (or batch) went out.</summary>
    private async Task<bool> DeliverPortalAsync(List<Work> work, CancellationToken cancellationToken)
    {
        var groups = work
            .GroupBy(w => (w.Carrier.Connector, w.Carrier.Line, Method: MethodOf(w.Carrier)))
            .OrderBy(g => g.Min(w => w.Carrier.Id));
        // Several calls of one portal may be out at once (the request bucket and the operating budget pace them).
        // Sends of one line go one call after another, so a dialog shows its messages in the order they came;
        // updates and deletes of different messages may overtake each other.
        using var inFlight = new SemaphoreSlim(Math.Max(1, options.Value.MaxCallsInFlightPerPortal));
        if (options.Value.PackLinesInBatch)
        {
            return await DeliverPackedAsync(groups.Select(g => (g.Key.Method, Pack(g.OrderBy(w => w.Carrier.Id).ToList(), g.Key.Method))).ToList(),
                inFlight, cancellationToken);
        }
        var calls = new List<Task<bool>>();
        foreach (var group in groups)
        {
            var chunks = Pack(group.OrderBy(w => w.Carrier.Id).ToList(), group.Key.Method);
            if (group.Key.Method == Method.Send)
            {
                calls.Add(Task.Run(async () =>
                {
                    var any = false;
                    foreach (var chunk in chunks)
                    {
                        if (!await CallAsync(chunk, group.Key.Method, inFlight, cancellationToken)) break;
                        any = true;
                    }
                    return any;
                }, CancellationToken.None));
            }
            else
            {
                calls.AddRange(chunks.Select(chunk => CallAsync(chunk, group.Key.Method, inFlight, cancellationToken)));
            }
        }
        return (await Task.WhenAll(calls)).Any(went => went);
    }

    /// <summary>
    /// Makes one call when the gate is still open and the method's operating budget allows it; false when not (the
    /// rest waits for the next round, which shows why).
    /// </summary>
    private async Task<bool> CallAsync(IReadOnlyList<Work> chunk, Method method, SemaphoreSlim inFlight, CancellationToken cancellationToken)
    {
        await inFlight.WaitAsync(cancellationToken);
        try
        {
            // An earlier call may have closed the gate (the line is off, the portal must pay).
            var first = chunk[0].Carrier;
            var now = time.GetUtcNow().UtcDateTime;
            if (Decide(first.MemberId, first.Line, now).Kind != GateKind.Open) return false;
            // Earlier calls may have spent the budget: stop before the portal refuses (429), not after.
            if (PacedUntil(first.MemberId, method) > now) return false;
            var name = MethodName(method);
            var estimate = (operatingBudget?.SecondsPerItem(first.MemberId, name) ?? 0) * chunk.Count;
            using (operatingBudget?.Reserve(first.MemberId, name, estimate))
            {
                await DeliverAsync(chunk, method, cancellationToken);
            }
            return true;
        }
        finally
        {
            inFlight.Release();
        }
    }

    /// <summary>
    /// Delivers a portal's calls in waves, packing the small ones of different lines and methods into <c>batch</c>
    /// requests (one unit of the request bucket each, §5.4). A wave holds the next send call of each line (the one
    /// after it only goes in a later wave, after this one's answer, so a dialog keeps its order) and, in the first
    /// wave, every update and delete call (they may overlap). A call of at least half <see cref="MessageOptions.BatchSize"/>
    /// elements (or of half a call's measured time, or whose command would pass the portal's parameter limit) goes on
    /// its own; the small ones go up to
    /// <see cref="ConnectorClient.MaxBatchCommands"/> a batch within <see cref="MessageOptions.MaxCallBytes"/> and one call's
    /// measured time; a batch of one is a plain call.
    /// </summary>
    private async Task<bool> DeliverPackedAsync(List<(Method Method, List<List<Work>> Chunks)> groups, SemaphoreSlim inFlight, CancellationToken cancellationToken)
    {
        var any = false;
        var o = options.Value;
        // Under half a full call, and within the portal's parameter limit as the command is built (a message's
        // parameters depend on its user, chat and files: from 4 for a plain update to dozens with files).
        // A batch runs within one request, which the cloud interrupts after 60 s: its commands' measured time together
        // stays within one call's (Bitrix24OperatingBudget.MaxItemsPerCall), and a chunk of half a call's time or more goes alone.
        var memberId = groups.SelectMany(g => g.Chunks).FirstOrDefault()?[0].Carrier.MemberId ?? "";
        double Share(int count, Method method) =>
            operatingBudget?.MaxItemsPerCall(memberId, MethodName(method)) is { } perCall ? (double)count / perCall : 0;
        bool Small(List<Work> chunk, Method method) => chunk.Count * 2L < o.BatchSize && Share(chunk.Count, method) < 0.5;
        var lines = groups.Where(g => g.Method == Method.Send).Select(g => new Queue<List<Work>>(g.Chunks)).ToList();
        var others = groups.Where(g => g.Method != Method.Send).SelectMany(g => g.Chunks.Select(c => (Chunk: c, g.Method))).ToList();
        var firstWave = true;
        while (true)
        {
            var wave = lines.Where(q => q.Count > 0).Select(q => (Chunk: q.Peek(), Method: Method.Send, Line: (Queue<List<Work>>?)q)).ToList();
            if (firstWave) wave.AddRange(others.Select(x => (x.Chunk, x.Method, Line: (Queue<List<Work>>?)null)));
            firstWave = false;
            // The small calls' messages, read once for the wave, to count their commands' parameters.
            var records = ReadRecords(wave.Where(w => Small(w.Chunk, w.Method)).SelectMany(w => w.Chunk));
            bool Packable(List<Work> chunk, Method method) =>
                Small(chunk, method) && BatchParameters(chunk, method, records) <= ConnectorClient.MaxBatchCommandParameters;
            if (wave.Count == 0) return any;

            var went = new bool[wave.Count];
            var calls = new List<Task>();
            var batch = new List<int>();
            long batchBytes = 0;
            double batchShare = 0;
            void Flush()
            {
                if (batch.Count == 0) return;
                var members = batch.ToList();
                calls.Add(CallPackedAsync(members.Select(i => (wave[i].Chunk, wave[i].Method)).ToList(), inFlight, cancellationToken)
                    .ContinueWith(t =>
                    {
                        var result = t.GetAwaiter().GetResult();
                        for (var k = 0; k < members.Count; k++) went[members[k]] = result[k];
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
                batch.Clear();
                batchBytes = 0;
                batchShare = 0;
            }
            for (var i = 0; i < wave.Count; i++)
            {
                var (chunk, method, _) = wave[i];
                if (!Packable(chunk, method))
                {
                    var index = i;
                    calls.Add(CallAsync(chunk, method, inFlight, cancellationToken).ContinueWith(t => went[index] = t.GetAwaiter().GetResult(),
                        CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
                    continue;
                }
                var bytes = chunk.Sum(w => EstimatedBatchBytes(w.Carrier, method));
                var share = Share(chunk.Count, method);
                if (batch.Count > 0 && (batch.Count >= ConnectorClient.MaxBatchCommands || batchBytes + bytes > o.MaxCallBytes || batchShare + share > 1)) Flush();
                batch.Add(i);
                batchBytes += bytes;
                batchShare += share;
            }
            Flush();
            await Task.WhenAll(calls);
            any |= went.Any(w => w);

            for (var i = 0; i < wave.Count; i++)
            {
                if (wave[i].Line is not { } line) continue;
                // A line whose call did not go (its gate closed, its budget spent) stops; the next round shows why.
                if (went[i]) line.Dequeue();
                else line.Clear();
            }
        }
    }

    /// <summary>
    /// Makes one batch of calls (or one plain call when only one may go): each member goes when its line's gate is
    /// open and its method's operating budget allows it, as <see cref="CallAsync"/> decides for one. Returns, per
    /// member, whether it went.
    /// </summary>
    private async Task<bool[]> CallPackedAsync(List<(List<Work> Chunk, Method Method)> members, SemaphoreSlim inFlight, CancellationToken cancellationToken)
    {
        var went = new bool[members.Count];
        if (members.Count == 1)
        {
            went[0] = await CallAsync(members[0].Chunk, members[0].Method, inFlight, cancellationToken);
            return went;
        }
        await inFlight.WaitAsync(cancellationToken);
        var reservations = new List<IDisposable>();
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            var go = new List<int>();
            for (var i = 0; i < members.Count; i++)
            {
                var (chunk, method) = members[i];
                var first = chunk[0].Carrier;
                if (Decide(first.MemberId, first.Line, now).Kind != GateKind.Open) continue;
                // Checked member by member with the ones before reserved, as calls out at once would be.
                if (PacedUntil(first.MemberId, method) > now) continue;
                var name = MethodName(method);
                if (operatingBudget is not null)
                {
                    reservations.Add(operatingBudget.Reserve(first.MemberId, name, (operatingBudget.SecondsPerItem(first.MemberId, name) ?? 0) * chunk.Count));
                }
                go.Add(i);
            }
            if (go.Count == 1) await DeliverAsync(members[go[0]].Chunk, members[go[0]].Method, cancellationToken);
            else if (go.Count > 1) await DeliverBatchAsync(go.Select(i => members[i]).ToList(), cancellationToken);
            foreach (var i in go) went[i] = true;
            return went;
        }
        finally
        {
            foreach (var r in reservations) r.Dispose();
            inFlight.Release();
        }
    }

    /// <summary>
    /// Splits a group into calls: as many items per <c>MESSAGES</c> as <see cref="MessageOptions.BatchSize"/> allows
    /// (the portal documents no limit on its length, §5.3), while the body stays under
    /// <see cref="MessageOptions.MaxCallBytes"/>.
    /// </summary>
    private List<List<Work>> Pack(List<Work> work, Method method)
    {
        var o = options.Value;
        var maxItems = Math.Max(1, o.BatchSize);
        // As many as run within the target time of one call at the portal's measured cost per element.
        if (work.Count > 0 && operatingBudget?.MaxItemsPerCall(work[0].Carrier.MemberId, MethodName(method)) is { } byTime)
        {
            maxItems = Math.Clamp(byTime, 1, maxItems);
        }
        var chunks = new List<List<Work>>();
        var current = new List<Work>();
        long bytes = 0;
        foreach (var w in work)
        {
            var size = EstimatedBytes(w.Carrier, method);
            if (current.Count > 0 && (current.Count >= maxItems || bytes + size > o.MaxCallBytes))
            {
                chunks.Add(current);
                current = [];
                bytes = 0;
            }
            current.Add(w);
            bytes += size;
        }
        if (current.Count > 0) chunks.Add(current);
        return chunks;
    }

    // The JSON of one MESSAGES element: user, chat and ids (well under 1 KB) plus the text, which JSON may grow
    // (escapes) and UTF-8 may take up to 3 bytes a character; 3 bytes a character is the safe side.
    private static long EstimatedBytes(OutboxItem item, Method method) =>
        1024 + (method is Method.Send or Method.Update ? 3L * (item.Text?.Length ?? 0) : 0);

    // The same element inside a batch command: a query string whose keys repeat the nesting (MESSAGES%5B0%5D%5Buser%5D..)
    // and whose values are percent-encoded, up to 9 bytes a character (3 UTF-8 bytes, each %XX).
    private static long EstimatedBatchBytes(OutboxItem item, Method method) =>
        2048 + (method is Method.Send or Method.Update ? 9L * (item.Text?.Length ?? 0) : 0);

    /// <summary>
    /// How many parameters the chunk's call carries as a <c>batch</c> command (its messages as the store has them; a
    /// message whose record is missing counts nothing, since it does not go).
    /// </summary>
    private static int BatchParameters(List<Work> chunk, Method method, Dictionary<ObjectId, MessageRecord> records)
    {
        var messages = chunk.Where(w => records.ContainsKey(w.Carrier.MessageId))
            .Select(w => Build(w.Carrier, records[w.Carrier.MessageId], method)).ToList();
        if (messages.Count == 0) return 0;
        var first = chunk[0].Carrier;
        var command = new ConnectorMessagesCommand(MethodName(method), new ConnectorMessagesRequest(first.Connector, first.Line, messages));
        return ConnectorClient.ToBatchCommand(command).Parameters!.Count;
    }

    /// <summary>The stored messages of the work (one read), by id; a missing one is left out.</summary>
    private Dictionary<ObjectId, MessageRecord> ReadRecords(IEnumerable<Work> work)
    {
        var ids = work.Select(w => w.Carrier.MessageId).Distinct().ToList();
        if (ids.Count == 0) return [];
        return store.Log.GetByIds(ids).OfType<MessageRecord>().ToDictionary(r => r.Id);
    }

    private static string MethodName(Method method) => method switch
    {
        Method.Send => Bitrix24Methods.SendMessages,
        Method.Update => Bitrix24Methods.UpdateMessages,
        _ => Bitrix24Methods.DeleteMessages,
    };

    /// <summary>Until when the portal's operating budget for the method is spent (UTC); the past when it is not.</summary>
    private DateTime PacedUntil(string memberId, Method method) =>
        operatingBudget?.ReadyAt(memberId, MethodName(method)).UtcDateTime ?? DateTime.MinValue;

    private static Method MethodOf(OutboxItem item) => item.Kind switch
    {
        ChangeKind.Send when item.DeleteFirst => Method.Delete,
        ChangeKind.Send => Method.Send,
        ChangeKind.Edit => Method.Update,
        _ => Method.Delete,
    };

    /// <summary>A call ready to go: its work (what is still held), the items it carries, and its request.</summary>
    private sealed record Prepared(
        IReadOnlyList<Work> Work, List<OutboxItem> Chunk, List<OutboxItem> Everything, Method Method, ConnectorMessagesRequest Request);

    /// <summary>
    /// Under the store turn: fails work whose message record is missing and marks sends in flight (only what is still
    /// held goes); null when nothing is left to send.
    /// </summary>
    private Prepared? Prepare(IReadOnlyList<Work> work, List<MessageRecord?> records, Method method)
    {
        var first = work[0].Carrier;
        var chunk = work.Select(w => w.Carrier).ToList();
        var everything = work.SelectMany(w => w.All).ToList();
        var orphans = work.Where((_, i) => records[i] is null).ToList();
        if (orphans.Count > 0)
        {
            Finish(first.MemberId, orphans.SelectMany(o => o.All).Select(o => new OutboxCompletion(o, false, "The message record is missing.")).ToList());
            work = work.Where((_, i) => records[i] is not null).ToList();
            records = records.Where(r => r is not null).ToList();
            chunk = work.Select(w => w.Carrier).ToList();
            everything = work.SelectMany(w => w.All).ToList();
            if (work.Count == 0) return null;
        }
        if (method == Method.Send)
        {
            // On a shared store an item whose lease lapsed may be another instance's now: only what is still held goes.
            var held = store.Outbox.MarkInFlight(chunk).Select(i => i.Id).ToHashSet();
            if (held.Count < chunk.Count)
            {
                // Sends carry nothing superseded, so work, chunk and records stay aligned element by element.
                records = records.Where((_, i) => held.Contains(chunk[i].Id)).ToList();
                work = work.Where(w => held.Contains(w.Carrier.Id)).ToList();
                chunk = work.Select(w => w.Carrier).ToList();
                everything = chunk;
                if (chunk.Count == 0) return null;
            }
        }
        var request = new ConnectorMessagesRequest(
            first.Connector, first.Line, chunk.Select((item, i) => Build(item, records[i]!, method)).ToList());
        return new Prepared(work, chunk, everything, method, request);
    }

    private async Task DeliverAsync(IReadOnlyList<Work> work, Method method, CancellationToken cancellationToken)
    {
        var records = store.Log.GetByIds(work.Select(w => w.Carrier.MessageId).ToList()).ToList();
        Prepared? call;
        using (await StoreTurnAsync(cancellationToken))
        {
            call = Prepare(work, records, method);
        }
        if (call is null) return;
        await CallPreparedAsync(call, cancellationToken);
    }

    /// <summary>
    /// Makes several calls as the commands of one <c>batch</c> request and records each one's outcome exactly as its
    /// own call's would be: a command's error is the failure that call would have met; a failure of the batch request
    /// itself is every command's (nothing is known of any). A command too big for the portal's parameter limit goes
    /// as its own call.
    /// </summary>
    private async Task DeliverBatchAsync(List<(List<Work> Chunk, Method Method)> members, CancellationToken cancellationToken)
    {
        var memberId = members[0].Chunk[0].Carrier.MemberId;
        var read = ReadRecords(members.SelectMany(m => m.Chunk));
        var records = members.Select(m => m.Chunk.Select(w => read.GetValueOrDefault(w.Carrier.MessageId)).ToList()).ToList();
        var prepared = new List<(Prepared Call, ConnectorMessagesCommand Command)>();
        using (await StoreTurnAsync(cancellationToken))
        {
            for (var i = 0; i < members.Count; i++)
            {
                if (Prepare(members[i].Chunk, records[i], members[i].Method) is { } call)
                {
                    prepared.Add((call, new ConnectorMessagesCommand(MethodName(call.Method), call.Request)));
                }
            }
        }
        var alone = prepared.Where(p => ConnectorClient.ToBatchCommand(p.Command).Parameters!.Count > ConnectorClient.MaxBatchCommandParameters).ToList();
        var packed = prepared.Where(p => !alone.Contains(p)).ToList();
        if (packed.Count == 1)
        {
            alone.Add(packed[0]);
            packed.Clear();
        }
        if (packed.Count > 0)
        {
            IReadOnlyList<ConnectorMessagesOutcome>? outcomes = null;
            Exception? failure = null;
            try
            {
                outcomes = await clients.ForPortal(memberId).Connectors.MessagesBatchAsync(packed.Select(p => p.Command).ToList(), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            using (await StoreTurnAsync(CancellationToken.None))
            {
                for (var i = 0; i < packed.Count; i++)
                {
                    var outcome = outcomes is not null && i < outcomes.Count ? outcomes[i] : null;
                    // No outcome for a command: whether it ran is unknown, as when an answer is lost.
                    var error = failure ?? outcome?.Error ?? (outcome?.Result is null
                        ? new Bitrix24Exception(packed[i].Command.Method, HttpStatusCode.InternalServerError, Bitrix24Errors.UnexpectedAnswer,
                            "The portal's batch answer has no outcome for this call.")
                        : null);
                    Record(packed[i].Call, outcome?.Result, error);
                }
            }
        }
        foreach (var (call, _) in alone) await CallPreparedAsync(call, cancellationToken);
    }

    /// <summary>Makes one prepared call on its own and records its outcome.</summary>
    private async Task CallPreparedAsync(Prepared call, CancellationToken cancellationToken)
    {
        ConnectorMessagesResult? result = null;
        Exception? failure = null;
        try
        {
            var connectors = clients.ForPortal(call.Chunk[0].MemberId).Connectors;
            result = call.Method switch
            {
                Method.Send => await connectors.SendMessagesAsync(call.Request, cancellationToken),
                Method.Update => await connectors.UpdateMessagesAsync(call.Request, cancellationToken),
                _ => await connectors.DeleteMessagesAsync(call.Request, cancellationToken),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: sends stay marked in flight, so the next start deletes them before sending again.
            throw;
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        // The outcome is recorded even while stopping: the call is over, and its turn is short.
        using (await StoreTurnAsync(CancellationToken.None))
        {
            Record(call, result, failure);
        }
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
}
