using System.Globalization;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Rest;

/// <summary><c>imopenlines.config.list.get</c> and <c>imopenlines.config.get</c> (§8).</summary>
internal static class OpenLineMethods
{
    private static readonly string[] s_paramsKeys = ["select", "order", "filter", "limit", "offset"];
    private static readonly string[] s_optionsKeys = ["QUEUE", "CONFIG_QUEUE", "CHECK_PERMISSION"];
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static void Register(RestEngine engine)
    {
        engine.Add("imopenlines.config.list.get", "imopenlines", appOnly: false, List);
        engine.Add("imopenlines.config.get", "imopenlines", appOnly: false, Get);
    }

    internal static JsonObject LineJson(LineRecord line) => new()
    {
        ["ID"] = S(line.Id),
        ["ACTIVE"] = line.Active ? "Y" : "N",
        ["LINE_NAME"] = line.Name,
        ["CRM"] = "Y",
        ["CRM_CREATE"] = "lead",
        ["CRM_FORWARD"] = "Y",
        ["QUEUE_TYPE"] = "evenly",
        ["QUEUE_TIME"] = "60",
        ["WELCOME_MESSAGE"] = "Y",
        ["WORKTIME_ENABLE"] = "N",
        ["WORKTIME_FROM"] = "9",
        ["WORKTIME_TO"] = "18.30",
        ["WORKTIME_TIMEZONE"] = "UTC",
        ["WORKTIME_DAYOFF"] = "SA,SU",
        ["LANGUAGE_ID"] = "en",
        ["TEMPORARY"] = "N",
        ["XML_ID"] = "",
        ["DATE_CREATE"] = line.Created.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        ["DATE_MODIFY"] = line.Created.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        ["MODIFY_USER_ID"] = "1",
    };

    private static string S(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static RestException Invalid(string text) => new(400, ErrorCodes.InvalidFormat, text);

    private static MethodResult List(CallContext call, Params p)
    {
        var parameters = p["PARAMS"];
        var options = p["OPTIONS"];
        if (parameters is not (null or JsonObject) || options is not (null or JsonObject)) throw Invalid("PARAMS and OPTIONS must be arrays");
        var pars = (JsonObject?)parameters ?? [];
        var opts = (JsonObject?)options ?? [];
        foreach (var (key, _) in pars)
        {
            if (!s_paramsKeys.Contains(key, StringComparer.OrdinalIgnoreCase)) throw Invalid($"Unknown PARAMS key: {key}");
        }
        foreach (var (key, _) in opts)
        {
            if (!s_optionsKeys.Contains(key, StringComparer.OrdinalIgnoreCase)) throw Invalid($"Unknown OPTIONS key: {key}");
        }
        JsonNode? Param(string name) => pars.FirstOrDefault(e => e.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

        var sample = LineJson(new LineRecord());
        IEnumerable<LineRecord> lines = call.State.Lines;

        if (Param("filter") is { } filterNode)
        {
            if (filterNode is not JsonObject filter) throw Invalid("PARAMS.filter must be an array");
            foreach (var (field, value) in filter)
            {
                var name = field.TrimStart('=', '!').ToUpperInvariant();
                if (!sample.ContainsKey(name)) throw Invalid($"Unknown field in filter: {field}");
                var negate = field.StartsWith('!');
                var wanted = Php.AsString(value) ?? "";
                lines = lines.Where(l => (Php.AsString(LineJson(l)[name]) == wanted) != negate).ToList();
            }
        }
        if (Param("order") is { } orderNode)
        {
            if (orderNode is not JsonObject order) throw Invalid("PARAMS.order must be an array");
            foreach (var (field, direction) in order.Reverse())
            {
                var name = field.ToUpperInvariant();
                if (!sample.ContainsKey(name)) throw Invalid($"Unknown field in order: {field}");
                var dir = Php.AsString(direction)?.ToUpperInvariant();
                if (dir is not ("ASC" or "DESC")) throw Invalid($"Wrong sort direction: {Php.AsString(direction)}");
                Func<LineRecord, IComparable> key = name == "ID" ? l => l.Id : l => Php.AsString(LineJson(l)[name]) ?? "";
                lines = dir == "ASC" ? lines.OrderBy(key).ToList() : lines.OrderByDescending(key).ToList();
            }
        }
        List<string>? select = null;
        if (Param("select") is { } selectNode)
        {
            select = Php.Elements(selectNode)?.Select(Php.AsString).OfType<string>().Select(s => s.ToUpperInvariant()).ToList()
                ?? throw Invalid("PARAMS.select must be an array");
            var unknown = select.FirstOrDefault(s => s != "*" && !sample.ContainsKey(s));
            if (unknown is not null) throw Invalid($"Unknown field in select: {unknown}");
        }
        var limit = Php.AsInt(Param("limit")) ?? DefaultLimit;
        if (limit <= 0) limit = DefaultLimit;
        limit = Math.Min(limit, MaxLimit);
        // Paging is PARAMS.limit / PARAMS.offset only. A top-level start (the SDK's list helpers send start=-1), order
        // or filter is not a parameter of this method and is ignored, as the server reads only PARAMS and OPTIONS
        // ([D:api-reference/imopenlines/openlines/imopenlines-config-list-get.md]).
        var offset = Php.AsInt(Param("offset")) ?? 0;
        if (offset < 0) throw Invalid("PARAMS.offset must be a non-negative integer");

        var all = lines.ToList();
        var page = all.Skip(offset).Take(limit).ToList();
        var withQueue = string.Equals(Php.AsString(opts.FirstOrDefault(e => e.Key.Equals("QUEUE", StringComparison.OrdinalIgnoreCase)).Value), "Y", StringComparison.OrdinalIgnoreCase);
        var withConfigQueue = string.Equals(Php.AsString(opts.FirstOrDefault(e => e.Key.Equals("CONFIG_QUEUE", StringComparison.OrdinalIgnoreCase)).Value), "Y", StringComparison.OrdinalIgnoreCase);
        var result = new JsonArray();
        foreach (var line in page)
        {
            var json = LineJson(line);
            if (select is not null && !select.Contains("*"))
            {
                json = new JsonObject(json.Where(e => select.Contains(e.Key)).Select(e => KeyValuePair.Create(e.Key, e.Value?.DeepClone())));
            }
            if (withQueue)
            {
                json["QUEUE"] = new JsonArray([.. line.Queue.Select(q => (JsonNode)S(q))]);
                json["QUEUE_USERS_FIELDS"] = QueueUsers(call.State, line);
            }
            if (withConfigQueue)
            {
                json["CONFIG_QUEUE"] = new JsonArray([.. line.Queue.Select(q => (JsonNode)new JsonObject { ["ENTITY_ID"] = S(q), ["ENTITY_TYPE"] = "user" })]);
            }
            result.Add(json);
        }
        int? next = offset + page.Count < all.Count ? offset + page.Count : null;
        return new(result, all.Count, next);
    }

    private static JsonObject QueueUsers(PortalState state, LineRecord line)
    {
        var users = new JsonObject();
        foreach (var id in line.Queue)
        {
            var user = state.Users.FirstOrDefault(u => u.Id == id);
            if (user is null) continue;
            users[S(id)] = new JsonObject
            {
                ["USER_NAME"] = $"{user.Name} {user.LastName}", ["USER_WORK_POSITION"] = user.Position, ["USER_AVATAR"] = "", ["USER_AVATAR_ID"] = "0",
            };
        }
        return users;
    }

    private static MethodResult Get(CallContext call, Params p)
    {
        var id = p.Int("CONFIG_ID") ?? 0;
        if (id <= 0) throw new RestException(400, ErrorCodes.ConfigIdEmpty, "Config ID can't be empty");
        var line = call.State.Lines.FirstOrDefault(l => l.Id == id);
        if (line is null)
        {
            return call.Core.Switches.ConfigGetUnknownReturnsFalse
                ? new(false)
                : throw new RestException(400, ErrorCodes.ConfigNotFound, "Config not found");
        }
        var json = LineJson(line);
        if (!string.Equals(p.String("WITH_QUEUE"), "N", StringComparison.OrdinalIgnoreCase))
        {
            json["QUEUE"] = new JsonArray([.. line.Queue.Select(q => (JsonNode)S(q))]);
            json["QUEUE_FULL"] = new JsonObject(line.Queue.Select(q => KeyValuePair.Create(S(q), (JsonNode?)new JsonObject
            {
                ["ENTITY_ID"] = S(q), ["USER_NAME"] = call.State.Users.FirstOrDefault(u => u.Id == q) is { } u ? $"{u.Name} {u.LastName}" : "",
            })));
        }
        return new(json);
    }
}
