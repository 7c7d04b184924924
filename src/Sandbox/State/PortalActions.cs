using System.Text.Json.Nodes;

namespace LineBridge.Sandbox.State;

/// <summary>Changes to a portal shared by REST methods, pages and test controls. Call under the core's gate.</summary>
internal static class PortalActions
{
    /// <summary>Reading a status creates its row (all N) as a side effect, as the server does (§7.1).</summary>
    public static StatusRecord GetOrCreateStatus(PortalState state, string connector, int line)
    {
        var row = FindStatus(state, connector, line);
        if (row is null)
        {
            row = new StatusRecord { Connector = connector, Line = line };
            state.Statuses.Add(row);
        }
        return row;
    }

    public static StatusRecord? FindStatus(PortalState state, string connector, int line) =>
        state.Statuses.FirstOrDefault(s => s.Connector == connector && s.Line == line);

    /// <summary>Deletes the status row and fires ONIMCONNECTORSTATUSDELETE; false when there was no row.</summary>
    /// <summary>
    /// Deletes the status row of a connector on a line; true when a row was deleted. The Contact Center's buttons and
    /// line deletion fire ONIMCONNECTORSTATUSDELETE per deleted row; <c>Status::delete</c> (the path of
    /// <c>imconnector.activate ACTIVE=0</c>) fires it after its loop whether or not a row existed, which
    /// <paramref name="fireWhenMissing"/> reproduces.
    /// </summary>
    public static bool DeleteStatus(SandboxPortal portal, string connector, int line, int userId, bool fireWhenMissing = false)
    {
        var row = FindStatus(portal.State, connector, line);
        if (row is null && !fireWhenMissing) return false;
        if (row is not null) portal.State.Statuses.Remove(row);
        portal.Core.Events.Fire(portal, EventNames.StatusDelete, new JsonObject { ["connector"] = connector, ["line"] = line }, userId, connector);
        return row is not null;
    }

    public static void ConnectFromTile(SandboxPortal portal, string connector, int line)
    {
        if (portal.State.Connectors.All(c => c.Id != connector)) throw new InvalidOperationException($"No connector '{connector}' is registered.");
        GetOrCreateStatus(portal.State, connector, line).Active = true;
    }

    public static void FinishInstall(SandboxPortal portal, int userId)
    {
        var state = portal.State;
        if (!state.AppAdded) throw new InvalidOperationException("The app is not added to this portal.");
        if (state.AppInstalled) return;
        state.AppInstalled = true;
        if (portal.Core.Switches.SendOnAppInstallToUiApps)
        {
            portal.Core.Events.Fire(portal, EventNames.AppInstall, new JsonObject
            {
                ["VERSION"] = "1", ["ACTIVE"] = "Y", ["INSTALLED"] = "Y", ["LANGUAGE_ID"] = portal.Options.Language,
            }, userId, withRefreshToken: true);
        }
    }

    public static void Uninstall(SandboxPortal portal, bool clean)
    {
        var state = portal.State;
        portal.Core.Events.Fire(portal, EventNames.AppUninstall, new JsonObject { ["LANGUAGE_ID"] = portal.Options.Language, ["CLEAN"] = clean ? 1 : 0 }, 0);
        var clientId = portal.Core.State.ClientId;
        var owned = state.Connectors.Where(c => c.OwnerClientId == clientId).Select(c => c.Id).ToHashSet();
        state.Statuses.RemoveAll(s => owned.Contains(s.Connector));
        state.Connectors.RemoveAll(c => owned.Contains(c.Id));
        state.Bindings.RemoveAll(b => b.ClientId == clientId);
        state.Placements.Clear();
        state.AppInstalled = false;
        state.ApplicationToken = SandboxCore.NewSecret(16);
        portal.Core.RevokePortalTokens(state.MemberId);
    }

    public static bool DeleteLine(SandboxPortal portal, int lineId, int userId)
    {
        var state = portal.State;
        var line = state.Lines.FirstOrDefault(l => l.Id == lineId);
        if (line is null) return false;
        foreach (var row in state.Statuses.Where(s => s.Line == lineId).ToList()) DeleteStatus(portal, row.Connector, lineId, userId);
        state.Lines.Remove(line);
        foreach (var connector in state.Connectors.ToList())
        {
            portal.Core.Events.Fire(portal, EventNames.LineDelete, JsonValue.Create(lineId), userId, connector.Id);
        }
        return true;
    }

    public static int OperatorReply(SandboxPortal portal, int lineId, string externalChatId, string text, int operatorUserId)
    {
        var state = portal.State;
        var dialog = state.Dialogs.LastOrDefault(d => d.Line == lineId && d.ExternalChatId == externalChatId)
            ?? throw new InvalidOperationException($"No dialog for chat '{externalChatId}' on line {lineId}.");
        var message = new MessageRecord
        {
            Id = portal.Core.State.NewId(), AuthorId = operatorUserId, FromOperator = true, Text = text, Sending = true, Date = portal.Core.Now,
        };
        dialog.Messages.Add(message);
        var connector = state.Connectors.FirstOrDefault(c => c.Id == dialog.Connector);
        // The portal forwards operator messages only while the connector works on the line.
        if (connector is not null && FindStatus(state, dialog.Connector, lineId) is { Status: true })
        {
            var user = state.Users.FirstOrDefault(u => u.Id == operatorUserId);
            var sent = connector.Flags.GetValueOrDefault("NEED_SIGNATURE", true) && user is not null
                ? $"[b]{user.Name} {user.LastName}:[/b] [br]{text}" : text;
            portal.Core.Events.Fire(portal, EventNames.MessageAdd, new JsonObject
            {
                ["CONNECTOR"] = dialog.Connector,
                ["LINE"] = lineId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["MESSAGES"] = new JsonArray(new JsonObject
                {
                    ["im"] = new JsonObject { ["chat_id"] = dialog.ChatId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["message_id"] = message.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    ["message"] = new JsonObject { ["user_id"] = operatorUserId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["text"] = sent, ["files"] = new JsonArray(), ["attachments"] = new JsonArray(), ["params"] = new JsonObject() },
                    ["chat"] = new JsonObject { ["id"] = dialog.ExternalChatId },
                }),
            }, operatorUserId, dialog.Connector);
        }
        return message.Id;
    }

    public static bool OperatorEdit(SandboxPortal portal, int messageId, string text, int operatorUserId)
    {
        var (dialog, message) = FindOperatorMessage(portal.State, messageId);
        message.Text = text;
        message.Edited = true;
        var connector = portal.State.Connectors.FirstOrDefault(c => c.Id == dialog.Connector);
        // Only messages that got a CONNECTOR_MID through a delivery status are echoed to the connector (§9.5).
        if (message.ConnectorMid.Count > 0 && connector is not null && connector.Flags.GetValueOrDefault("EDIT_INTERNAL_MESSAGES", true))
        {
            var user = portal.State.Users.FirstOrDefault(u => u.Id == operatorUserId);
            var sent = connector.Flags.GetValueOrDefault("NEED_SIGNATURE", true) && user is not null
                ? $"[b]{user.Name} {user.LastName}:[/b][br] {text}" : text;
            portal.Core.Events.Fire(portal, EventNames.MessageUpdate, new JsonObject
            {
                ["CONNECTOR"] = dialog.Connector,
                ["LINE"] = dialog.Line.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["MESSAGES"] = new JsonArray(new JsonObject
                {
                    ["im"] = Im(dialog, message),
                    ["message"] = new JsonObject { ["id"] = new JsonArray([.. message.ConnectorMid.Select(m => JsonValue.Create(m))]), ["text"] = sent },
                    ["chat"] = new JsonObject { ["id"] = dialog.ExternalChatId },
                }),
            }, operatorUserId, dialog.Connector);
        }
        return true;
    }

    public static bool OperatorDelete(SandboxPortal portal, int messageId, int operatorUserId)
    {
        var (dialog, message) = FindOperatorMessage(portal.State, messageId);
        dialog.Messages.Remove(message);
        var connector = portal.State.Connectors.FirstOrDefault(c => c.Id == dialog.Connector);
        if (message.ConnectorMid.Count > 0 && connector is not null && connector.Flags.GetValueOrDefault("DEL_INTERNAL_MESSAGES", true))
        {
            var elements = new JsonArray();
            foreach (var mid in message.ConnectorMid)
            {
                elements.Add(new JsonObject
                {
                    ["im"] = Im(dialog, message),
                    ["message"] = new JsonObject { ["id"] = mid },
                    ["chat"] = new JsonObject { ["id"] = dialog.ExternalChatId },
                });
            }
            portal.Core.Events.Fire(portal, EventNames.MessageDelete, new JsonObject
            {
                ["CONNECTOR"] = dialog.Connector,
                ["LINE"] = dialog.Line.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["MESSAGES"] = elements,
            }, operatorUserId, dialog.Connector);
        }
        return true;
    }

    /// <summary>ONIMCONNECTORDIALOGSTART / ...FINISH for the dialog's current session (§9.8).</summary>
    public static void FireDialogEvent(SandboxPortal portal, DialogRecord dialog, string eventName, int userId)
    {
        var connector = portal.State.Connectors.FirstOrDefault(c => c.Id == dialog.Connector);
        if (connector is null) return;
        var line = dialog.Line.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var user = (connector.Flags.GetValueOrDefault("CHAT_GROUP") ? 0 : dialog.UserId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        portal.Core.Events.Fire(portal, eventName, new JsonObject
        {
            ["CONNECTOR"] = connector.Id,
            ["LINE"] = line,
            ["DATA"] = new JsonArray(new JsonObject
            {
                ["connector"] = new JsonObject { ["connector_id"] = connector.Id, ["line_id"] = line, ["chat_id"] = dialog.ExternalChatId, ["user_id"] = user },
                ["session"] = new JsonObject
                {
                    ["id"] = dialog.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["closed"] = dialog.SessionClosed ? "Y" : "N",
                    ["parent_id"] = "0", ["close_term"] = "1440",
                },
                ["chat"] = new JsonObject { ["id"] = dialog.ExternalChatId },
                ["user"] = new JsonObject { ["id"] = user },
            }),
        }, userId, connector.Id);
    }

    /// <summary>An operator closes the dialog's session; fires ONIMCONNECTORDIALOGFINISH. The next incoming message opens a new session.</summary>
    public static bool CloseSession(SandboxPortal portal, int chatId, int userId)
    {
        var dialog = portal.State.Dialogs.FirstOrDefault(d => d.ChatId == chatId) ?? throw new InvalidOperationException($"No dialog with chat id {chatId}.");
        if (dialog.SessionClosed) return false;
        dialog.SessionClosed = true;
        FireDialogEvent(portal, dialog, EventNames.DialogFinish, userId);
        return true;
    }

    private static JsonObject Im(DialogRecord dialog, MessageRecord message) => new()
    {
        ["chat_id"] = dialog.ChatId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["message_id"] = message.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static (DialogRecord Dialog, MessageRecord Message) FindOperatorMessage(PortalState state, int messageId)
    {
        foreach (var dialog in state.Dialogs)
        {
            var message = dialog.Messages.FirstOrDefault(m => m.Id == messageId);
            if (message is null) continue;
            if (!message.FromOperator) throw new InvalidOperationException($"Message {messageId} is not an operator's message.");
            return (dialog, message);
        }
        throw new InvalidOperationException($"No message {messageId}.");
    }
}
