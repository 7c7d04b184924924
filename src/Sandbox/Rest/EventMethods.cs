using System.Globalization;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Rest;

/// <summary><c>event.bind</c>, <c>event.unbind</c>, <c>event.get</c> (§6.1).</summary>
internal static class EventMethods
{
    public static void Register(RestEngine engine)
    {
        engine.Add("event.bind", "", appOnly: true, Bind);
        engine.Add("event.unbind", "", appOnly: true, Unbind);
        engine.Add("event.get", "", appOnly: true, Get);
    }

    private static bool Known(CallContext call, string name) =>
        EventNames.Basic.Contains(name) || (EventNames.OpenLines.Contains(name) && call.HasScope("imopenlines"));

    private static MethodResult Bind(CallContext call, Params p)
    {
        var name = (p.String("event") ?? "").Trim().ToUpperInvariant();
        if (!Known(call, name)) throw new RestException(400, ErrorCodes.EventNotFound, "Event not found");
        var offline = string.Equals(p.String("event_type"), "offline", StringComparison.OrdinalIgnoreCase);
        var authType = p.Int("auth_type") ?? 0;
        if (!call.User.Admin)
        {
            if (offline || (authType != 0 && authType != call.UserId)) throw new RestException(403, ErrorCodes.AccessDenied, "Access denied");
            authType = call.UserId;
        }
        var handler = offline ? "" : ValidateHandler(p.String("handler"));
        var bindings = call.State.Bindings;
        if (bindings.Any(b => b.Event == name && b.Handler == handler && b.AuthType == authType && b.Offline == offline && b.ClientId == call.Core.State.ClientId))
            throw new RestException(400, ErrorCodes.ErrorCore, "Unable to set event handler: Handler already binded");
        bindings.Add(new BindingRecord
        {
            Id = call.Core.State.NewId(), Event = name, Handler = handler, AuthType = authType, BoundBy = call.UserId, Offline = offline,
            ClientId = call.Core.State.ClientId,
        });
        call.Core.MarkDirty();
        return new MethodResult(true);
    }

    private static string ValidateHandler(string? handler)
    {
        if (!Uri.TryCreate(handler, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new RestException(400, ErrorCodes.WrongHandlerUrl, "Wrong handler URL");
        if (uri.Scheme is not ("http" or "https")) throw new RestException(400, ErrorCodes.UnsupportedProtocol, "Unsupported event handler protocol");
        // Bitrix24 refuses handler hosts without a dot (e.g. localhost).
        if (!uri.Host.Contains('.')) throw new RestException(400, ErrorCodes.WrongHandlerUrl, "Wrong handler URL");
        return handler!;
    }

    private static MethodResult Unbind(CallContext call, Params p)
    {
        var name = (p.String("event") ?? "").Trim().ToUpperInvariant();
        var offline = string.Equals(p.String("event_type"), "offline", StringComparison.OrdinalIgnoreCase);
        var handler = p.String("handler");
        if (!offline && string.IsNullOrEmpty(handler)) throw RestException.Argument("handler");
        int? authType = p.IsSet("auth_type") ? p.Int("auth_type") : null;
        if (!call.User.Admin) authType = call.UserId;
        var removed = call.State.Bindings.RemoveAll(b => b.Event == name && b.Offline == offline && (offline || b.Handler == handler)
            && (authType is null || b.AuthType == authType) && b.ClientId == call.Core.State.ClientId);
        call.Core.MarkDirty();
        return new MethodResult(new JsonObject { ["count"] = removed });
    }

    private static MethodResult Get(CallContext call, Params p)
    {
        var rows = call.State.Bindings
            .Where(b => b.ClientId == call.Core.State.ClientId && (call.User.Admin || b.AuthType == call.UserId))
            .Select(b => (JsonNode)new JsonObject
            {
                ["event"] = b.Event,
                ["handler"] = b.Handler,
                ["auth_type"] = b.AuthType.ToString(CultureInfo.InvariantCulture),
                ["offline"] = b.Offline ? 1 : 0,
            });
        return new MethodResult(new JsonArray([.. rows]));
    }
}
