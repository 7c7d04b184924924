using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Rest;

/// <summary><c>placement.bind</c>, <c>placement.unbind</c>, <c>placement.get</c>.</summary>
internal static class PlacementMethods
{
    private static readonly string[] s_known =
        ["DEFAULT", "SETTING_CONNECTOR", "IM_NAVIGATION", "IM_TEXTAREA", "IM_SIDEBAR", "IM_CONTEXT_MENU", "CONTACT_CENTER", "LEFT_MENU", "REST_APP_URI", "PAGE_BACKGROUND_WORKER"];

    public static void Register(RestEngine engine)
    {
        engine.Add("placement.bind", "placement", appOnly: true, Bind);
        engine.Add("placement.unbind", "placement", appOnly: true, Unbind);
        engine.Add("placement.get", "placement", appOnly: true, Get);
    }

    private static MethodResult Bind(CallContext call, Params p)
    {
        if (!call.User.Admin) throw new RestException(403, ErrorCodes.AccessDenied, "Access denied");
        var placement = p.RequireString("PLACEMENT").ToUpperInvariant();
        var handler = p.RequireString("HANDLER");
        if (!s_known.Contains(placement)) throw new RestException(400, ErrorCodes.PlacementNotFound, "Placement not found");
        if (!Uri.TryCreate(handler, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new RestException(400, ErrorCodes.WrongHandlerUrl, "Wrong handler URL");
        if (call.State.Placements.Any(x => x.Placement == placement && x.Handler == handler))
            throw new RestException(400, ErrorCodes.ErrorCore, "Unable to set placement handler: Handler already binded");
        call.State.Placements.Add(new PlacementRecord
        {
            Id = call.Core.State.NewId(), Placement = placement, Handler = handler, Title = p.String("TITLE") ?? "", Description = p.String("DESCRIPTION") ?? "",
        });
        call.Core.MarkDirty();
        return new MethodResult(true);
    }

    private static MethodResult Unbind(CallContext call, Params p)
    {
        if (!call.User.Admin) throw new RestException(403, ErrorCodes.AccessDenied, "Access denied");
        var placement = p.RequireString("PLACEMENT").ToUpperInvariant();
        var handler = p.String("HANDLER");
        var count = call.State.Placements.RemoveAll(x => x.Placement == placement && x.ConnectorId is null && (string.IsNullOrEmpty(handler) || x.Handler == handler));
        call.Core.MarkDirty();
        return new MethodResult(new JsonObject { ["count"] = count });
    }

    private static MethodResult Get(CallContext call, Params p) => new(new JsonArray([.. call.State.Placements.Select(x => (JsonNode)new JsonObject
    {
        ["placement"] = x.Placement,
        ["handler"] = x.Handler,
        ["title"] = x.Title,
        ["description"] = x.Description,
        ["options"] = new JsonArray(),
    })]));
}
