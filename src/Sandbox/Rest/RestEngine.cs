using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;
using Microsoft.AspNetCore.Http;

namespace LineBridge.Sandbox.Rest;

/// <summary>Who is calling: resolved from the token (app context) or an inbound webhook (no app context).</summary>
internal sealed class CallContext
{
    public required SandboxPortal Portal { get; init; }
    public required int UserId { get; init; }
    public required bool IsApp { get; init; }
    public required string Scope { get; init; }
    public required string CallerKey { get; init; }

    /// <summary>Seconds the cost model charged the last method run, and all runs of this request (a batch runs several).</summary>
    public double LastModelled { get; set; }
    public double TotalModelled { get; set; }

    public PortalState State => Portal.State;
    public SandboxCore Core => Portal.Core;
    public UserRecord User => State.Users.First(u => u.Id == UserId);
    public bool HasScope(string scope) => Scope.Split(',', StringSplitOptions.TrimEntries).Contains(scope, StringComparer.OrdinalIgnoreCase);
}

internal sealed record MethodResult(JsonNode? Result, int? Total = null, int? Next = null);

internal delegate MethodResult MethodHandler(CallContext call, Params p);

internal sealed record MethodSpec(string Scope, bool AppOnly, MethodHandler Handler);

/// <summary>
/// The <c>/rest/</c> surface: parsing, auth, limits, faults, dispatch, the <c>result</c> + <c>time</c> envelope, and
/// <c>batch</c>. Methods run under the core's gate, one at a time, like a single portal worker.
/// </summary>
internal sealed class RestEngine
{
    public const int MaxBodyBytes = 8 * 1024 * 1024;
    public const int BatchMaxLength = 50;
    private readonly SandboxCore _core;
    private readonly ILogger _logger;
    private readonly Dictionary<string, MethodSpec> _methods = new(StringComparer.Ordinal);

    public RestEngine(SandboxCore core, ILogger<RestEngine> logger)
    {
        _core = core;
        _logger = logger;
        AppMethods.Register(this);
        EventMethods.Register(this);
        PlacementMethods.Register(this);
        ConnectorMethods.Register(this);
        MessageMethods.Register(this);
        OpenLineMethods.Register(this);
        ImMethods.Register(this);
    }

    public void Add(string name, string scope, bool appOnly, MethodHandler handler) => _methods[name] = new MethodSpec(scope, appOnly, handler);

    public async Task HandleAsync(HttpContext http, string path)
    {
        var response = http.Response;
        response.Headers.AccessControlAllowOrigin = "*";
        if (HttpMethods.IsOptions(http.Request.Method))
        {
            response.Headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
            response.Headers.AccessControlAllowHeaders = "Content-Type, Authorization";
            response.StatusCode = 200;
            return;
        }
        var portal = _core.PortalByPort(http.Connection.LocalPort, http.Connection.LocalIpAddress);
        if (portal is null)
        {
            response.StatusCode = 404;
            return;
        }

        // A renamed portal's former address sends REST callers to the new one, method and query kept (§4).
        if (portal.RestRedirect(http.Connection.LocalPort, http.Connection.LocalIpAddress, path + http.Request.QueryString.Value) is { } moved)
        {
            portal.Record(new RecordedCall(_core.Now, StripFormat(path).ToLowerInvariant(), "{}", 302, null, false, "redirect"));
            response.StatusCode = StatusCodes.Status302Found;
            response.Headers.Location = moved.AbsoluteUri;
            return;
        }

        // Route: {method}[.json|.xml] or {userId}/{code}/{method} (inbound webhook).
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int? webhookUser = null;
        string? webhookCode = null;
        string rawMethod;
        if (segments.Length == 3 && int.TryParse(segments[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hookUser))
        {
            webhookUser = hookUser;
            webhookCode = segments[1];
            rawMethod = segments[2];
        }
        else if (segments.Length == 1)
        {
            rawMethod = segments[0];
        }
        else
        {
            await WriteAsync(http, 404, new RestException(404, ErrorCodes.MethodNotFound, "Method not found!").ToJson());
            return;
        }
        var method = StripFormat(rawMethod).ToLowerInvariant();

        var fault = _core.Faults.Decide(method);
        if (fault.Latency > TimeSpan.Zero) await Task.Delay(fault.Latency, http.RequestAborted);
        switch (fault.Kind)
        {
            case FaultKind.Drop:
                portal.Record(new RecordedCall(_core.Now, method, "{}", 0, null, webhookUser is not null, "drop"));
                http.Abort();
                return;
            case FaultKind.InternalError:
                portal.Record(new RecordedCall(_core.Now, method, "{}", 500, ErrorCodes.InternalServerError, webhookUser is not null, "error"));
                await WriteAsync(http, 500, new RestException(500, ErrorCodes.InternalServerError, "Internal server error").ToJson());
                return;
            case FaultKind.Unavailable:
                portal.Record(new RecordedCall(_core.Now, method, "{}", 503, fault.UnavailableCode, webhookUser is not null, "unavailable"));
                await WriteAsync(http, 503, new RestException(503, fault.UnavailableCode, "Service temporarily unavailable").ToJson());
                return;
        }

        var started = _core.Now;
        var ticks = _core.Time.GetTimestamp();
        JsonObject parameters = [];
        int status;
        JsonObject body;
        try
        {
            // Every HTTP request fills the bucket, whatever becomes of it.
            if (!portal.Bucket.TryAdd()) throw new RestException(503, ErrorCodes.QueryLimitExceeded, "Too many requests");
            parameters = await ReadParamsAsync(http);
            (status, body) = Execute(portal, method, parameters, http.Request.Headers.Authorization.ToString(), webhookUser, webhookCode, started, ticks);
        }
        catch (RestException ex)
        {
            status = ex.Status;
            body = ex.ToJson();
        }
        catch (BadHttpRequestException)
        {
            status = 400;
            body = new RestException(400, ErrorCodes.InvalidRequest, "Malformed request").ToJson();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A sandbox bug must still look like a portal failure to the client; the log says where it happened.
            _logger.LogError(ex, "Unexpected failure in {Method}", method);
            status = 500;
            body = new RestException(500, ErrorCodes.InternalServerError, "Internal server error").ToJson();
        }
        var error = body["error"] is JsonValue code ? code.ToString() : null;
        var lost = fault.Kind == FaultKind.LostResponse;
        portal.Record(new RecordedCall(started, method, parameters.ToJsonString(), status, error, webhookUser is not null, lost ? "lost-response" : null));
        if (lost)
        {
            // The call took effect; the client never hears about it.
            http.Abort();
            return;
        }
        await WriteAsync(http, status, body);
    }

    private static string StripFormat(string method) =>
        method.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || method.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)
            ? method[..method.LastIndexOf('.')] : method;

    // Plain UTF-8 like PHP's JSON_UNESCAPED_UNICODE; these bodies are never embedded in HTML.
    internal static readonly System.Text.Json.JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static async Task WriteAsync(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.WriteAsync(body.ToJsonString(Json), http.RequestAborted);
    }

    private static async Task<JsonObject> ReadParamsAsync(HttpContext http)
    {
        var request = http.Request;
        var parameters = ParamParser.ParseForm(request.QueryString.HasValue ? request.QueryString.Value![1..] : "");
        if (request.ContentLength > MaxBodyBytes) throw new RestException(400, ErrorCodes.InvalidRequest, "Request body is too large");
        var text = await ReadBodyAsync(request, http.RequestAborted);
        if (text.Length == 0) return parameters;
        var contentType = request.ContentType ?? "";
        var json = contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
            || (!contentType.Contains("form", StringComparison.OrdinalIgnoreCase) && text.TrimStart().StartsWith('{'));
        if (json)
        {
            if (ParamParser.ParseJson(text) is not JsonObject body) throw new RestException(400, ErrorCodes.InvalidRequest, "Request body must be a JSON object");
            foreach (var (key, value) in body.ToList())
            {
                body.Remove(key);
                parameters[key] = value;
            }
            return parameters;
        }
        return ParamParser.ParseForm(text, parameters);
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) throw new RestException(400, ErrorCodes.InvalidRequest, "Request body is too large");
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return new UTF8Encoding(false, true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw new RestException(400, ErrorCodes.InvalidRequest, "Request body is not valid UTF-8");
        }
    }

    // ---- execution ----

    private (int Status, JsonObject Body) Execute(
        SandboxPortal portal, string method, JsonObject parameters, string authorization, int? webhookUser, string? webhookCode, DateTimeOffset started, long ticks)
    {
        lock (_core.Gate)
        {
            try
            {
                var call = Authenticate(portal, parameters, authorization, webhookUser, webhookCode);
                // An expired paid app: the portal refuses its calls until it pays; app.info still says why.
                if (call.IsApp && call.State.PaymentRequired && method != "app.info")
                    throw new RestException(402, ErrorCodes.PaymentRequired, "The application's paid period has expired");
                var result = method == "batch" ? Batch(call, new Params(parameters)) : Run(call, method, new Params(parameters), countOperating: true);
                return (200, Envelope(call, method, result, started, ticks));
            }
            finally
            {
                _core.SaveIfDirty();
            }
        }
    }

    private JsonObject Envelope(CallContext call, string method, MethodResult result, DateTimeOffset started, long ticks)
    {
        var body = new JsonObject { ["result"] = result.Result };
        if (result.Total is { } total) body["total"] = total;
        if (result.Next is { } next) body["next"] = next;
        body["time"] = Time(call, method, started, ticks);
        return body;
    }

    private JsonObject Time(CallContext call, string method, DateTimeOffset started, long ticks)
    {
        var finished = _core.Now;
        // The server reports the time it spent; the cost model's seconds are time the sandbox did not spend but charges.
        var duration = _core.Time.GetElapsedTime(ticks).TotalSeconds + (method == "batch" ? call.TotalModelled : call.LastModelled);
        var time = new JsonObject
        {
            ["start"] = started.ToUnixTimeMilliseconds() / 1000.0,
            ["finish"] = finished.ToUnixTimeMilliseconds() / 1000.0,
            ["duration"] = Math.Round(duration, 6),
            ["processing"] = Math.Round(duration, 6),
            ["date_start"] = started.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
            ["date_finish"] = finished.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        };
        // Only portals that enforce the limit report it (the cloud; a self-hosted portal with the limit off does not).
        if (method != "batch" && call.Portal.Options.OperatingLimitSeconds > 0)
        {
            var (operating, resetAt) = call.Portal.Operating.Read(OperatingKey(call, method));
            time["operating_reset_at"] = resetAt;
            time["operating"] = Math.Round(operating, 6);
        }
        return time;
    }

    private static string OperatingKey(CallContext call, string method) => $"{call.CallerKey}|{method}";

    private CallContext Authenticate(SandboxPortal portal, JsonObject parameters, string authorization, int? webhookUser, string? webhookCode)
    {
        // Auth params are stripped before the method sees its parameters (§3.3).
        string? token = null;
        if (_core.Switches.AcceptBearerHeader && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = authorization[7..].Trim();
        string? authParam = null, accessTokenParam = null;
        foreach (var key in parameters.Select(p => p.Key).ToList())
        {
            if (key.Equals("auth", StringComparison.OrdinalIgnoreCase)) authParam = Php.AsString(parameters[key]);
            else if (key.Equals("access_token", StringComparison.OrdinalIgnoreCase)) accessTokenParam = Php.AsString(parameters[key]);
            else continue;
            parameters.Remove(key);
        }
        if (string.IsNullOrEmpty(token)) token = string.IsNullOrEmpty(authParam) ? accessTokenParam : authParam;

        var state = portal.State;
        if (webhookUser is { } userId)
        {
            if (webhookCode != state.WebhookCode || state.Users.All(u => u.Id != userId || u.External))
                throw new RestException(403, ErrorCodes.InvalidCredentials, "Invalid request credentials");
            return new CallContext { Portal = portal, UserId = userId, IsApp = false, Scope = "imopenlines,placement,im,imconnector,user,profile", CallerKey = $"webhook:{userId}" };
        }
        if (string.IsNullOrEmpty(token) || !_core.State.AccessTokens.TryGetValue(token, out var record) || record.MemberId != state.MemberId)
            throw new RestException(401, ErrorCodes.NoAuthFound, "Wrong authorization data");
        if (record.Expires <= _core.Now) throw new RestException(401, ErrorCodes.ExpiredToken, "The access token provided has expired.");
        if (!state.AppAdded) throw new RestException(401, ErrorCodes.ApplicationNotFound, "Application not found");
        return new CallContext { Portal = portal, UserId = record.UserId, IsApp = true, Scope = record.Scope, CallerKey = _core.State.ClientId };
    }

    private MethodResult Run(CallContext call, string method, Params p, bool countOperating)
    {
        if (!_methods.TryGetValue(method, out var spec)) throw new RestException(404, ErrorCodes.MethodNotFound, "Method not found!");
        if (spec.AppOnly && !call.IsApp)
        {
            throw method == "app.info"
                ? new RestException(403, ErrorCodes.AccessDenied, "Access denied! Application context required")
                : new RestException(403, ErrorCodes.WrongAuthType, "Current authorization type is denied for this method");
        }
        if (spec.Scope.Length > 0 && !call.HasScope(spec.Scope))
            throw new RestException(403, ErrorCodes.InsufficientScope, "The request requires higher privileges than provided by the access token");

        var options = call.Portal.Options;
        var key = OperatingKey(call, method);
        if (options.OperatingLimitSeconds > 0)
        {
            var (operating, resetAt) = call.Portal.Operating.Read(key);
            if (operating > options.OperatingLimitSeconds)
            {
                throw new RestException(429, ErrorCodes.OperationTimeLimit, "Method is blocked due to operation time limit.", new JsonObject
                {
                    ["time"] = new JsonObject { ["operating"] = Math.Round(operating, 6), ["operating_reset_at"] = resetAt },
                });
            }
        }
        var ticks = _core.Time.GetTimestamp();
        try
        {
            return spec.Handler(call, p);
        }
        finally
        {
            if (countOperating)
            {
                var modelled = ModelledCost(options, method, p);
                call.Portal.Operating.Add(key, _core.Time.GetElapsedTime(ticks).TotalSeconds + modelled);
                call.LastModelled = modelled;
                call.TotalModelled += modelled;
            }
        }
    }

    private static readonly HashSet<string> CostedMessageMethods = ["imconnector.send.messages", "imconnector.update.messages", "imconnector.delete.messages"];

    /// <summary>The seconds the cost model charges a call beyond its own time (see <see cref="SandboxPortalOptions.CostPerMessageSeconds"/>).</summary>
    private static double ModelledCost(SandboxPortalOptions options, string method, Params p)
    {
        var cost = options.SimulatedCostSeconds + options.SimulatedCostByMethod.GetValueOrDefault(method);
        if (CostedMessageMethods.Contains(method))
        {
            var elements = Php.Elements(p["MESSAGES"])?.Count ?? 0;
            cost += options.CostPerMessageCallSeconds + elements * options.CostPerMessageSeconds;
        }
        return cost;
    }

    // ---- batch (§5.4) ----

    private MethodResult Batch(CallContext call, Params p)
    {
        var halt = !Php.IsEmpty(p["halt"]);
        var commands = p["cmd"] switch
        {
            JsonObject o => o.Select(e => (e.Key, Php.AsString(e.Value))).ToList(),
            JsonArray a => a.Select((e, i) => (i.ToString(CultureInfo.InvariantCulture), Php.AsString(e))).ToList(),
            _ => throw RestException.Argument("cmd"),
        };
        var results = new List<(string Key, JsonNode? Value)>();
        var errors = new List<(string Key, JsonNode? Value)>();
        var totals = new List<(string Key, JsonNode? Value)>();
        var nexts = new List<(string Key, JsonNode? Value)>();
        var times = new List<(string Key, JsonNode? Value)>();
        for (var i = 0; i < commands.Count; i++)
        {
            var (key, command) = commands[i];
            var started = _core.Now;
            var ticks = _core.Time.GetTimestamp();
            try
            {
                if (i >= BatchMaxLength) throw new RestException(400, ErrorCodes.BatchLengthExceeded, "Max batch length exceeded");
                if (string.IsNullOrEmpty(command)) throw new RestException(400, ErrorCodes.MethodNotFound, "Method not found!");
                var question = command.IndexOf('?');
                var method = StripFormat(question < 0 ? command : command[..question]).Trim().ToLowerInvariant();
                if (method is "batch") throw new RestException(405, ErrorCodes.BatchMethodNotAllowed, "Method is not allowed for batch usage");
                // As CRestUtil::ParseBatchQuery: parse_str first (which URL-decodes), then resolve references in the
                // decoded keys and values, so an encoded "%24result%5Bme%5D%5BID%5D" resolves like a literal one.
                var parameters = ParamParser.ParseForm(question < 0 ? "" : command[(question + 1)..]);
                parameters = BatchReferences.Resolve(parameters, new JsonObject
                {
                    ["result"] = ToPhpArray(results), ["result_error"] = ToPhpArray(errors), ["result_total"] = ToPhpArray(totals),
                    ["result_next"] = ToPhpArray(nexts), ["result_time"] = ToPhpArray(times),
                });
                foreach (var auth in parameters.Select(e => e.Key).Where(k => k.Equals("auth", StringComparison.OrdinalIgnoreCase) || k.Equals("access_token", StringComparison.OrdinalIgnoreCase)).ToList())
                {
                    parameters.Remove(auth);
                }
                var result = Run(call, method, new Params(parameters), countOperating: true);
                results.Add((key, result.Result?.DeepClone()));
                if (result.Total is { } total) totals.Add((key, total));
                if (result.Next is { } next) nexts.Add((key, next));
                times.Add((key, Time(call, method, started, ticks)));
            }
            catch (RestException ex)
            {
                errors.Add((key, ex.ToJson()));
                if (halt) break;
            }
        }
        return new MethodResult(new JsonObject
        {
            ["result"] = PhpArray(results),
            ["result_error"] = PhpArray(errors),
            ["result_total"] = PhpArray(totals),
            ["result_next"] = PhpArray(nexts),
            ["result_time"] = PhpArray(times),
        });
    }

    /// <summary>json_encode of a PHP array: a list when keys are 0..n-1 (or none), else an object.</summary>
    private static JsonNode PhpArray(List<(string Key, JsonNode? Value)> items)
    {
        if (items.Select((item, i) => item.Key == i.ToString(CultureInfo.InvariantCulture)).All(x => x))
            return new JsonArray([.. items.Select(i => i.Value)]);
        return new JsonObject(items.Select(i => KeyValuePair.Create(i.Key, i.Value)));
    }

    // The results so far as PHP arrays, deep-copied so a reference cannot alias a later answer.
    private static JsonNode ToPhpArray(List<(string Key, JsonNode? Value)> items) =>
        new JsonObject(items.Select(i => KeyValuePair.Create(i.Key, i.Value?.DeepClone())));
}
