using System.Net;
using System.Text.Json;
using LineBridge.Bitrix24.Models;

namespace LineBridge.Bitrix24;

/// <summary>The <c>imconnector.*</c> methods of one portal (protocol reference §7, §9).</summary>
public class ConnectorClient
{
    private readonly Bitrix24Client? _client;

    /// <summary>For test doubles.</summary>
    protected internal ConnectorClient() { }

    internal ConnectorClient(Bitrix24Client client) => _client = client;

    private Bitrix24Client Client => _client ?? throw new InvalidOperationException("This ConnectorClient is a test double.");

    /// <summary>Registers (or updates) a connector. REST: <c>imconnector.register</c>.</summary>
    public virtual async Task RegisterAsync(ConnectorRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var response = await Client.CallAsync(Bitrix24Methods.ConnectorRegister, registration, cancellationToken);
        EnsureNestedResult(Bitrix24Methods.ConnectorRegister, response.Result);
    }

    /// <summary>Removes a connector and its line statuses. REST: <c>imconnector.unregister</c>.</summary>
    public virtual async Task UnregisterAsync(string connectorId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectorId);
        var response = await Client.CallAsync(Bitrix24Methods.ConnectorUnregister, new { ID = connectorId }, cancellationToken);
        EnsureNestedResult(Bitrix24Methods.ConnectorUnregister, response.Result);
    }

    /// <summary>All active connectors of the portal, id to name. REST: <c>imconnector.list</c>.</summary>
    public virtual async Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken = default)
    {
        var response = await Client.CallAsync(Bitrix24Methods.ConnectorList, null, cancellationToken);
        return Bitrix24Json.Scalars(response.Result);
    }

    /// <summary>The connector's state on a line. REST: <c>imconnector.status</c>.</summary>
    public virtual async Task<ConnectorStatus> StatusAsync(string connector, int line, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connector);
        var r = (await Client.CallAsync(Bitrix24Methods.ConnectorStatus, new { CONNECTOR = connector, LINE = line }, cancellationToken)).Result;
        return new ConnectorStatus(
            Bitrix24Json.Int(r, "LINE") ?? line, Bitrix24Json.String(r, "CONNECTOR") ?? connector,
            Bitrix24Json.Bool(r, "ERROR"), Bitrix24Json.Bool(r, "CONFIGURED"), Bitrix24Json.Bool(r, "STATUS"));
    }

    /// <summary>
    /// Connects (or disconnects) the connector on a line. REST: <c>imconnector.activate</c>. Returns the portal's
    /// <c>result</c>: on disconnect, false when there was nothing to disconnect.
    /// </summary>
    public virtual async Task<bool> ActivateAsync(string connector, int line, bool active, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connector);
        var r = await Client.CallAsync(Bitrix24Methods.ConnectorActivate,
            new { CONNECTOR = connector, LINE = line, ACTIVE = active ? 1 : 0 }, cancellationToken);
        return Bitrix24Json.AsBool(r.Result);
    }

    /// <summary>Sets what the contact center shows about the channel. REST: <c>imconnector.connector.data.set</c>.</summary>
    public virtual async Task<bool> SetConnectorDataAsync(string connector, int line, ConnectorData data, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connector);
        ArgumentNullException.ThrowIfNull(data);
        var r = await Client.CallAsync(Bitrix24Methods.ConnectorDataSet, new { CONNECTOR = connector, LINE = line, DATA = data }, cancellationToken);
        return Bitrix24Json.AsBool(r.Result);
    }

    /// <summary>Marks the connector as failing on a line (the line refuses messages until re-activated). REST: <c>imconnector.set.error</c>.</summary>
    public virtual async Task<bool> SetErrorAsync(string connector, int line, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connector);
        var r = await Client.CallAsync(Bitrix24Methods.ConnectorSetError, new { CONNECTOR = connector, LINE = line }, cancellationToken);
        return SuccessFlag(r.Result);
    }

    /// <summary>Sends messages into an open line. REST: <c>imconnector.send.messages</c>. Never retried blindly.</summary>
    public virtual Task<ConnectorMessagesResult> SendMessagesAsync(
        ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        MessagesAsync(Bitrix24Methods.SendMessages, request, cancellationToken);

    /// <summary>Replaces the text of sent messages. REST: <c>imconnector.update.messages</c>.</summary>
    public virtual Task<ConnectorMessagesResult> UpdateMessagesAsync(
        ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        MessagesAsync(Bitrix24Methods.UpdateMessages, request, cancellationToken);

    /// <summary>Deletes sent messages. REST: <c>imconnector.delete.messages</c>.</summary>
    public virtual Task<ConnectorMessagesResult> DeleteMessagesAsync(
        ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        MessagesAsync(Bitrix24Methods.DeleteMessages, request, cancellationToken);

    /// <summary>
    /// Sends, updates or deletes messages of several lines (or methods) in one <c>batch</c> request, which counts once
    /// against the portal's request bucket while each command's seconds count against its own method's operating budget
    /// (protocol reference §5.4). Up to <see cref="MaxBatchCommands"/> commands; each is
    /// <see cref="Bitrix24Methods.SendMessages"/>, <see cref="Bitrix24Methods.UpdateMessages"/> or
    /// <see cref="Bitrix24Methods.DeleteMessages"/>. Returns one outcome per command, in order: its per-element results
    /// (with its own <c>time</c> block), or the <see cref="Bitrix24Exception"/> the same call made alone would have
    /// raised (from the command's <c>result_error</c>). Throws when the batch request itself fails; then no command's
    /// outcome is known. Like <c>send.messages</c>, never retried blindly. A test double without a transport makes
    /// the calls one by one through the virtual methods.
    /// </summary>
    public virtual async Task<IReadOnlyList<ConnectorMessagesOutcome>> MessagesBatchAsync(
        IReadOnlyList<ConnectorMessagesCommand> commands, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count is 0 or > MaxBatchCommands)
            throw new ArgumentOutOfRangeException(nameof(commands), commands.Count, $"A batch carries 1 to {MaxBatchCommands} commands.");
        foreach (var c in commands)
        {
            if (c.Method is not (Bitrix24Methods.SendMessages or Bitrix24Methods.UpdateMessages or Bitrix24Methods.DeleteMessages))
                throw new ArgumentException($"'{c.Method}' is not a message method.", nameof(commands));
            ArgumentException.ThrowIfNullOrEmpty(c.Request.Connector);
        }
        if (_client is null) return await OneByOneAsync(commands, cancellationToken);

        var keys = commands.Select((_, i) => "m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var batch = new Dictionary<string, BatchCommand>();
        for (var i = 0; i < commands.Count; i++) batch[keys[i]] = ToBatchCommand(commands[i]);
        var answer = await Client.BatchAsync(batch, halt: false, cancellationToken);

        var outcomes = new List<ConnectorMessagesOutcome>(commands.Count);
        for (var i = 0; i < commands.Count; i++)
        {
            var (method, request) = (commands[i].Method, commands[i].Request);
            if (answer.Errors.TryGetValue(keys[i], out var error))
            {
                outcomes.Add(new(null, new Bitrix24Exception(method, Bitrix24Errors.StatusOf(error.Code), error.Code, error.Description)));
                continue;
            }
            if (!answer.Results.TryGetValue(keys[i], out var result))
            {
                // Neither a result nor an error: whether it ran is unknown, as when an answer is lost.
                outcomes.Add(new(null, new Bitrix24Exception(method, HttpStatusCode.InternalServerError, Bitrix24Errors.UnexpectedAnswer,
                    "The portal's batch answer has no result for this command.")));
                continue;
            }
            try
            {
                answer.Times.TryGetValue(keys[i], out var time);
                outcomes.Add(new(ParseMessageResults(method, result, request.Messages.Count) with { Time = time }, null));
            }
            catch (Bitrix24Exception ex)
            {
                outcomes.Add(new(null, ex));
            }
        }
        return outcomes;
    }

    /// <summary>The most commands one <c>batch</c> may carry (protocol reference §5.4).</summary>
    public const int MaxBatchCommands = 50;

    /// <summary>
    /// The most parameters one batch command may carry: the portal reads each command with PHP's <c>parse_str</c>,
    /// which keeps only the first <c>max_input_vars</c> (1000 by default) and drops the rest without failing.
    /// </summary>
    public const int MaxBatchCommandParameters = 1000;

    /// <summary>A message call as one <c>batch</c> command (<c>method?CONNECTOR=..&amp;LINE=..&amp;MESSAGES[0][user][id]=..</c>).</summary>
    public static BatchCommand ToBatchCommand(ConnectorMessagesCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var r = command.Request;
        return BatchCommand.Of(command.Method, new { CONNECTOR = r.Connector, LINE = r.Line, MESSAGES = r.Messages });
    }

    private async Task<IReadOnlyList<ConnectorMessagesOutcome>> OneByOneAsync(
        IReadOnlyList<ConnectorMessagesCommand> commands, CancellationToken cancellationToken)
    {
        var outcomes = new List<ConnectorMessagesOutcome>(commands.Count);
        foreach (var c in commands)
        {
            try
            {
                var result = c.Method switch
                {
                    Bitrix24Methods.SendMessages => await SendMessagesAsync(c.Request, cancellationToken),
                    Bitrix24Methods.UpdateMessages => await UpdateMessagesAsync(c.Request, cancellationToken),
                    _ => await DeleteMessagesAsync(c.Request, cancellationToken),
                };
                outcomes.Add(new(result, null));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                outcomes.Add(new(null, ex));
            }
        }
        return outcomes;
    }

    /// <summary>Reports outgoing messages as delivered. REST: <c>imconnector.send.status.delivery</c>.</summary>
    public virtual async Task<bool> SendDeliveryStatusAsync(ConnectorStatusRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var r = await Client.CallAsync(Bitrix24Methods.SendStatusDelivery,
            new { CONNECTOR = request.Connector, LINE = request.Line, MESSAGES = request.Messages }, cancellationToken);
        return SuccessFlag(r.Result);
    }

    /// <summary>Reports outgoing messages as read. REST: <c>imconnector.send.status.reading</c>.</summary>
    public virtual async Task<bool> SendReadingStatusAsync(ConnectorStatusRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var r = await Client.CallAsync(Bitrix24Methods.SendStatusReading,
            new { CONNECTOR = request.Connector, LINE = request.Line, MESSAGES = request.Messages }, cancellationToken);
        return SuccessFlag(r.Result);
    }

    /// <summary>Renames the portal chat of an existing dialog. REST: <c>imconnector.chat.name.set</c>.</summary>
    public virtual async Task<bool> SetChatNameAsync(ChatNameRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var r = await Client.CallAsync(Bitrix24Methods.ChatNameSet, new
        {
            CONNECTOR = request.Connector, LINE = request.Line, CHAT_ID = request.ChatId, NAME = request.Name, USER_ID = request.UserId,
        }, cancellationToken);
        return SuccessFlag(r.Result);
    }

    private async Task<ConnectorMessagesResult> MessagesAsync(string method, ConnectorMessagesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Connector);
        var r = await Client.CallAsync(method,
            new { CONNECTOR = request.Connector, LINE = request.Line, MESSAGES = request.Messages }, cancellationToken);
        return ParseMessageResults(method, r.Result, request.Messages.Count) with { Time = r.Time };
    }

    // {"SUCCESS":true,"DATA":{"RESULT":[item, ...]}}, index-aligned with MESSAGES. An older build answered
    // {"SUCCESS":false,"DATA":[]} for an inactive line: a whole-call failure, not per-item results.
    internal static ConnectorMessagesResult ParseMessageResults(string method, JsonElement result, int expected)
    {
        JsonElement items = default;
        var hasItems = Bitrix24Json.TryGet(result, "DATA", out var data) && Bitrix24Json.TryGet(data, "RESULT", out items) &&
            items.ValueKind == JsonValueKind.Array;
        if (!hasItems)
        {
            var success = Bitrix24Json.TryGet(result, "SUCCESS", out var s) && Bitrix24Json.AsBool(s);
            throw new Bitrix24Exception(method, HttpStatusCode.OK, success ? Bitrix24Errors.UnexpectedAnswer : Bitrix24Errors.NotActiveLine,
                success ? "The portal answered without per-message results." : "The portal answered SUCCESS:false without per-message results.");
        }

        var list = new List<MessageItemResult>();
        foreach (var item in items.EnumerateArray())
        {
            var errors = new List<string>();
            if (Bitrix24Json.TryGet(item, "ERRORS", out var e))
            {
                if (e.ValueKind == JsonValueKind.Array)
                {
                    foreach (var x in e.EnumerateArray()) errors.Add(Bitrix24Json.AsString(x) ?? x.GetRawText());
                }
                else if (e.ValueKind == JsonValueKind.Object)
                {
                    foreach (var x in e.EnumerateObject()) errors.Add(Bitrix24Json.AsString(x.Value) ?? x.Value.GetRawText());
                }
                else if (Bitrix24Json.AsString(e) is { Length: > 0 } one) errors.Add(one);
            }
            Bitrix24Json.TryGet(item, "session", out var session);
            list.Add(new MessageItemResult
            {
                Success = Bitrix24Json.Bool(item, "SUCCESS") && errors.Count == 0,
                Errors = errors,
                PortalUserId = Bitrix24Json.String(item, "user"),
                SessionId = session.ValueKind == JsonValueKind.Object ? Bitrix24Json.String(session, "ID") : null,
                PortalChatId = session.ValueKind == JsonValueKind.Object ? Bitrix24Json.String(session, "CHAT_ID") : null,
            });
        }
        // Results are index-aligned with the request; a short answer leaves the rest unknown, which is a failure.
        for (var i = list.Count; i < expected; i++)
        {
            list.Add(new MessageItemResult { Success = false, Errors = ["The portal returned no result for this message."] });
        }
        return new ConnectorMessagesResult(list);
    }

    // register/unregister answer {"result":{"result":false,"error":..}} with HTTP 200.
    private static void EnsureNestedResult(string method, JsonElement result)
    {
        var ok = result.ValueKind == JsonValueKind.Object
            ? Bitrix24Json.TryGet(result, "result", out var inner) && Bitrix24Json.AsBool(inner)
            : Bitrix24Json.AsBool(result);
        if (ok) return;
        var code = result.ValueKind == JsonValueKind.Object ? Bitrix24Json.String(result, "error") : null;
        var description = result.ValueKind == JsonValueKind.Object ? Bitrix24Json.String(result, "error_description") : null;
        throw new Bitrix24Exception(method, HttpStatusCode.OK, code ?? Bitrix24Errors.UnexpectedAnswer,
            description ?? "The portal answered result:false.");
    }

    // {"SUCCESS":true,"DATA":[]} or a bare true.
    private static bool SuccessFlag(JsonElement result) =>
        result.ValueKind == JsonValueKind.Object ? Bitrix24Json.Bool(result, "SUCCESS") : Bitrix24Json.AsBool(result);
}
