using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Rest;

/// <summary>Connector lifecycle (§7.2): register, unregister, list, status, activate, connector.data.set, set.error.</summary>
internal static class ConnectorMethods
{
    public const string Scope = "imopenlines";

    private static readonly (string Flag, bool Default)[] s_flags =
    [
        ("DEL_EXTERNAL_MESSAGES", true), ("EDIT_INTERNAL_MESSAGES", true), ("DEL_INTERNAL_MESSAGES", true), ("NEWSLETTER", true),
        ("NEED_SYSTEM_MESSAGES", true), ("NEED_SIGNATURE", true), ("CHAT_GROUP", false),
    ];

    private static readonly (string Id, string Name)[] s_builtIn =
    [
        ("livechat", "Live chat"), ("telegrambot", "Telegram"), ("whatsappbytwilio", "WhatsApp (Twilio)"), ("vkgroup", "VK"),
        ("facebook", "Facebook"), ("network", "Bitrix24.Network"),
    ];

    public static void Register(RestEngine engine)
    {
        engine.Add("imconnector.register", Scope, appOnly: true, RegisterConnector);
        engine.Add("imconnector.unregister", Scope, appOnly: true, Unregister);
        engine.Add("imconnector.list", Scope, appOnly: true, List);
        engine.Add("imconnector.status", Scope, appOnly: true, Status);
        engine.Add("imconnector.activate", Scope, appOnly: true, Activate);
        engine.Add("imconnector.connector.data.set", Scope, appOnly: true, DataSet);
        engine.Add("imconnector.set.error", Scope, appOnly: true, SetError);
    }

    private static JsonObject Nested(bool ok, string? error = null, string? description = null)
    {
        var result = new JsonObject { ["result"] = ok };
        if (error is not null)
        {
            result["error"] = error;
            result["error_description"] = description;
        }
        return result;
    }

    // Errors come back with HTTP 200 inside a nested result, in the server's order.
    private static MethodResult RegisterConnector(CallContext call, Params p)
    {
        var input = (JsonObject)Php.RecaseKeys(p.Source, upper: true)!;
        var id = Php.AsString(input["ID"])?.ToLowerInvariant();
        var name = Php.AsString(input["NAME"]);
        var icon = input["ICON"] as JsonObject;
        var handler = Php.AsString(input["PLACEMENT_HANDLER"]);
        var appId = call.IsApp ? call.Core.State.ClientId : null;
        if (id is not null && id.Contains('.'))
            return new(Nested(false, ErrorCodes.RegistrationErrorPoint, "The connector ID must not contain a point"));
        var hasIcon = icon is not null && !Php.IsEmpty(icon["DATA_IMAGE"]);
        if (!string.IsNullOrEmpty(id) && !string.IsNullOrEmpty(name) && hasIcon && appId is not null && !string.IsNullOrEmpty(handler))
        {
            if (!Uri.TryCreate(handler, UriKind.Absolute, out _))
                return new(Nested(false, ErrorCodes.RegistrationError, "Failed to register the connector"));
            var state = call.State;
            var connector = state.Connectors.FirstOrDefault(c => c.Id == id);
            if (connector is not null && connector.OwnerClientId != appId)
                return new(Nested(false, ErrorCodes.RegistrationError, "Failed to register the connector"));
            if (connector is null)
            {
                connector = new ConnectorRecord { Id = id, OwnerClientId = appId };
                state.Connectors.Add(connector);
            }
            connector.Name = name;
            connector.Icon = (JsonObject)icon!.DeepClone();
            connector.IconDisabled = input["ICON_DISABLED"]?.DeepClone() as JsonObject;
            connector.PlacementHandler = handler;
            connector.Comment = Php.AsString(input["COMMENT"]);
            foreach (var (flag, fallback) in s_flags)
            {
                connector.Flags[flag] = input[flag] is { } value ? Php.IsTrue(value, call.Core.Switches.RegisterFlagsAcceptStrings) : fallback;
            }
            state.Placements.RemoveAll(x => x.ConnectorId == id);
            state.Placements.Add(new PlacementRecord
            {
                Id = call.Core.State.NewId(), Placement = "SETTING_CONNECTOR", Handler = handler, Title = name, ConnectorId = id, Description = connector.Comment ?? "",
            });
            call.Core.MarkDirty();
            return new(Nested(true));
        }
        if (string.IsNullOrEmpty(id)) return new(Nested(false, ErrorCodes.ConnectorIdRequired, "Connector ID is required"));
        if (string.IsNullOrEmpty(name)) return new(Nested(false, ErrorCodes.NameRequired, "Connector name is required"));
        if (!hasIcon) return new(Nested(false, ErrorCodes.IconRequired, "Connector icon is required"));
        if (appId is null) return new(Nested(false, ErrorCodes.NoApplicationId, "Application ID is missing"));
        if (string.IsNullOrEmpty(handler)) return new(Nested(false, ErrorCodes.NoPlacementHandler, "Placement handler is required"));
        return new(Nested(false, ErrorCodes.GeneralRegistrationError, "Failed to register the connector"));
    }

    private static MethodResult Unregister(CallContext call, Params p)
    {
        var id = p.String("ID")?.ToLowerInvariant();
        if (string.IsNullOrEmpty(id)) return new(Nested(false, ErrorCodes.ConnectorIdRequired, "Connector ID is required"));
        var state = call.State;
        var connector = state.Connectors.FirstOrDefault(c => c.Id == id && c.OwnerClientId == call.Core.State.ClientId);
        if (connector is null) return new(Nested(false, ErrorCodes.UnregistrationError, "Failed to unregister the connector"));
        var rows = state.Statuses.Where(s => s.Connector == id).ToList();
        // SRC-ONLY: with no status rows the delete transaction reports false and nothing is deleted.
        if (rows.Count == 0 && call.Core.Switches.UnregisterFailsWithoutStatusRows)
            return new(Nested(false, ErrorCodes.UnregistrationError, "Failed to unregister the connector"));
        foreach (var row in rows) PortalActions.DeleteStatus(call.Portal, id, row.Line, call.UserId);
        state.Connectors.Remove(connector);
        state.Placements.RemoveAll(x => x.ConnectorId == id);
        call.Core.MarkDirty();
        return new(Nested(true));
    }

    private static MethodResult List(CallContext call, Params p)
    {
        if (!call.User.Admin) throw new RestException(400, ErrorCodes.AccessDenied, "Access denied");
        var result = new JsonObject();
        foreach (var (id, name) in s_builtIn) result[id] = name;
        foreach (var connector in call.State.Connectors) result[connector.Id] = connector.Name;
        return new(result);
    }

    private static (string Connector, int Line) ConnectorAndLine(Params p, bool lineRequired = true)
    {
        var connector = p.String("CONNECTOR");
        if (string.IsNullOrEmpty(connector)) throw RestException.Argument("CONNECTOR");
        if (lineRequired && Php.IsEmpty(p["LINE"])) throw RestException.Argument("LINE");
        return (connector, p.Int("LINE") ?? 0);
    }

    private static MethodResult Status(CallContext call, Params p)
    {
        var (connector, line) = ConnectorAndLine(p, lineRequired: false);
        var row = PortalActions.GetOrCreateStatus(call.State, connector, line);
        call.Core.MarkDirty();
        return new(new JsonObject
        {
            ["LINE"] = line, ["CONNECTOR"] = connector, ["ERROR"] = row.Error, ["CONFIGURED"] = row.Configured, ["STATUS"] = row.Status,
        });
    }

    private static MethodResult Activate(CallContext call, Params p)
    {
        var (connector, line) = ConnectorAndLine(p);
        if (!p.IsSet("ACTIVE")) throw RestException.Argument("ACTIVE");
        call.Core.MarkDirty();
        if (Php.IsEmpty(p["ACTIVE"]))
        {
            // Status::delete (imconnector lib/status.php@100acdb) sends OnImConnectorStatusDelete after its delete loop
            // unconditionally and returns whether a row was deleted: no row ⇒ result false, event still fired.
            return new(PortalActions.DeleteStatus(call.Portal, connector, line, call.UserId, fireWhenMissing: true));
        }
        var row = PortalActions.GetOrCreateStatus(call.State, connector, line);
        row.Active = row.Connection = row.Register = true;
        row.Error = false;
        return new(true);
    }

    private static MethodResult DataSet(CallContext call, Params p)
    {
        var (connector, line) = ConnectorAndLine(p);
        if (Php.IsEmpty(p["DATA"]) || p["DATA"] is not JsonObject data) throw RestException.Argument("DATA");
        var row = PortalActions.GetOrCreateStatus(call.State, connector, line);
        var incoming = new Dictionary<string, string>();
        foreach (var (key, value) in data)
        {
            var text = Php.AsString(value);
            if (!string.IsNullOrEmpty(text)) incoming[key.ToLowerInvariant()] = text;
        }
        if (!call.Core.Switches.ConnectorDataSetMerges) row.Data.Clear();
        foreach (var (key, value) in incoming) row.Data[key] = value;
        row.Data["connector_id"] = connector;
        call.Core.MarkDirty();
        return new(true);
    }

    private static MethodResult SetError(CallContext call, Params p)
    {
        var (connector, line) = ConnectorAndLine(p);
        PortalActions.GetOrCreateStatus(call.State, connector, line).Error = true;
        call.Core.MarkDirty();
        return new(new JsonObject { ["SUCCESS"] = true, ["DATA"] = new JsonArray() });
    }
}
