using System.Globalization;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Rest;

/// <summary>
/// Message methods (§9): send / update / delete through the common pipeline of §9.1, delivery and reading statuses,
/// and chat renaming. Dialogs are keyed by USER_CODE <c>{connector}|{line}|{chat.id}|{b24UserId}</c>.
/// </summary>
internal static class MessageMethods
{
    public static void Register(RestEngine engine)
    {
        engine.Add("imconnector.send.messages", ConnectorMethods.Scope, appOnly: true, (c, p) => Pipeline(c, p, Kind.Send));
        engine.Add("imconnector.update.messages", ConnectorMethods.Scope, appOnly: true, (c, p) => Pipeline(c, p, Kind.Update));
        engine.Add("imconnector.delete.messages", ConnectorMethods.Scope, appOnly: true, (c, p) => Pipeline(c, p, Kind.Delete));
        engine.Add("imconnector.send.status.delivery", ConnectorMethods.Scope, appOnly: true, Delivery);
        engine.Add("imconnector.send.status.reading", ConnectorMethods.Scope, appOnly: true, Reading);
        engine.Add("imconnector.chat.name.set", ConnectorMethods.Scope, appOnly: true, ChatNameSet);
    }

    private enum Kind { Send, Update, Delete }

    private static MethodResult Pipeline(CallContext call, Params p, Kind kind)
    {
        // 2. isset checks: a JSON [] is set, a missing key is not.
        foreach (var name in new[] { "CONNECTOR", "LINE", "MESSAGES" })
        {
            if (!p.IsSet(name)) throw RestException.Argument(name);
        }
        // 3. keys inside MESSAGES are lower-cased recursively.
        var messages = Php.RecaseKeys(p["MESSAGES"], upper: false);
        var elements = Php.Elements(messages);
        // 4. structure checks, send only.
        if (kind == Kind.Send)
        {
            if (elements is null)
                throw new RestException(400, ErrorCodes.ErrorArgument, "The value of an argument 'MESSAGES' must be of type array", new JsonObject { ["argument"] = "MESSAGES" });
            if (elements.Any(e => e is not (JsonObject or JsonArray)))
                throw new RestException(400, ErrorCodes.ErrorArgument, "The MESSAGES parameter must be an array of messages (arrays)", new JsonObject { ["argument"] = "MESSAGES" });
            if (elements.Any(e => e is not JsonObject o || o["user"] is null || o["message"] is null || o["chat"] is null))
                throw new RestException(400, ErrorCodes.ErrorArgument, "The incorrect structure of a message inside MESSAGES parameter.", new JsonObject { ["argument"] = "MESSAGES" });
        }
        ConnectorRecord connector;
        int line;
        try
        {
            (connector, line) = Gate(call, p, lineGate: true);
        }
        catch (RestException ex) when (ex.Code == ErrorCodes.NotActiveLine && call.Core.Switches.NotActiveLineAsResult)
        {
            return new(new JsonObject { ["SUCCESS"] = false, ["DATA"] = new JsonArray() });
        }

        var results = new JsonArray();
        foreach (var element in elements ?? [])
        {
            results.Add(kind switch
            {
                Kind.Send => Send(call, connector, line, element as JsonObject),
                Kind.Update => Update(call, connector, line, element as JsonObject),
                _ => Delete(call, connector, line, element as JsonObject),
            });
        }
        call.Core.MarkDirty();
        // Top-level SUCCESS stays true even when every element failed.
        return new(new JsonObject { ["SUCCESS"] = true, ["DATA"] = new JsonObject { ["RESULT"] = results } });
    }

    // 5. connector must be registered (exact, case-sensitive); 6. its status on the line must be true.
    private static (ConnectorRecord Connector, int Line) Gate(CallContext call, Params p, bool lineGate)
    {
        var id = p.String("CONNECTOR") ?? "";
        var connector = call.State.Connectors.FirstOrDefault(c => c.Id == id)
            ?? throw new RestException(400, ErrorCodes.NoCorrectProvider, "Incorrect connector");
        var line = p.Int("LINE") ?? 0;
        if (lineGate && !PortalActions.GetOrCreateStatus(call.State, connector.Id, line).Status)
            throw new RestException(400, ErrorCodes.NotActiveLine, "The line with this ID is inactive or does not exist");
        return (connector, line);
    }

    private static JsonObject ElementError(string text) => new() { ["SUCCESS"] = false, ["ERRORS"] = new JsonArray(text) };

    private static int ResolveUser(CallContext call, ConnectorRecord connector, JsonObject user)
    {
        var state = call.State;
        var externalId = Php.AsString(user["id"]);
        var anonymous = string.IsNullOrEmpty(externalId);
        var key = $"{connector.Id}|{externalId}";
        if ((!anonymous || !call.Core.Switches.AnonymousUserPerMessage) && state.ExternalUsers.TryGetValue(key, out var known))
        {
            var existing = state.Users.First(u => u.Id == known);
            existing.Name = Php.AsString(user["name"]) ?? existing.Name;
            existing.LastName = Php.AsString(user["last_name"]) ?? existing.LastName;
            return known;
        }
        var record = new UserRecord
        {
            Id = call.Core.State.NewId(),
            Name = Php.AsString(user["name"]) ?? "Guest",
            LastName = Php.AsString(user["last_name"]) ?? "",
            Email = Php.AsString(user["email"]) ?? "",
            Gender = Php.AsString(user["gender"]) switch { "female" => "F", "male" => "M", _ => "" },
            External = true,
        };
        state.Users.Add(record);
        if (!anonymous || !call.Core.Switches.AnonymousUserPerMessage) state.ExternalUsers[key] = record.Id;
        return record.Id;
    }

    private static string UserCode(ConnectorRecord connector, int line, string chatId, int userId) =>
        $"{connector.Id}|{line.ToString(CultureInfo.InvariantCulture)}|{chatId}|{(connector.Flags.GetValueOrDefault("CHAT_GROUP") ? 0 : userId).ToString(CultureInfo.InvariantCulture)}";

    private static DialogRecord? FindDialog(PortalState state, ConnectorRecord connector, int line, string chatId, int userId)
    {
        var code = UserCode(connector, line, chatId, userId);
        var alternative = $"{connector.Id}|{line.ToString(CultureInfo.InvariantCulture)}|{chatId}|{(code.EndsWith("|0", StringComparison.Ordinal) ? userId : 0).ToString(CultureInfo.InvariantCulture)}";
        return state.Dialogs.LastOrDefault(d => d.UserCode == code) ?? state.Dialogs.LastOrDefault(d => d.UserCode == alternative);
    }

    private static (string Text, List<string> Files, JsonArray FilesJson) ReadContent(CallContext call, JsonObject message)
    {
        var text = Php.AsString(message["text"]) ?? "";
        var switches = call.Core.Switches;
        if (switches.TruncateLongText) text = Truncate(text, switches.MaxMessageLength);
        var files = new List<string>();
        var filesJson = new JsonArray();
        foreach (var file in Php.Elements(message["files"]) ?? [])
        {
            // The portal downloads each file; one it cannot fetch is silently dropped (§9.1 step 7), so a message whose
            // only content was such a file ends up with neither text nor files and fails as an element.
            if (file is JsonObject f && Uri.TryCreate(Php.AsString(f["url"]), UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
                && call.Core.Files.CanFetch(url))
            {
                files.Add(url.ToString());
                filesJson.Add(new JsonObject { ["url"] = url.ToString(), ["name"] = Php.AsString(f["name"]) ?? "" });
            }
        }
        return (text, files, filesJson);
    }

    /// <summary>
    /// Cuts a text longer than <paramref name="max"/> characters to that many and appends <c> (...)</c>. Characters are
    /// Unicode code points, as PHP's <c>mb_strlen</c>/<c>mb_substr</c> count them, so a surrogate pair (an emoji) is one
    /// character and is never split.
    /// </summary>
    internal static string Truncate(string text, int max)
    {
        var index = 0;
        for (var count = 0; index < text.Length && count < max; count++) index += char.IsSurrogatePair(text, index) ? 2 : 1;
        return index < text.Length ? text[..index] + " (...)" : text;
    }

    private static JsonObject ChatEcho(JsonObject chat)
    {
        var echo = (JsonObject)chat.DeepClone();
        if (Php.AsString(echo["url"]) is { Length: > 0 } url)
        {
            echo.Remove("url");
            echo["description"] = $"Link to the original post: {url}";
        }
        return echo;
    }

    private static JsonObject MessageEcho(JsonObject message, string text, JsonArray files)
    {
        var echo = (JsonObject)message.DeepClone();
        if (echo["date"] is not null) echo["date"] = new JsonObject();
        if (echo["text"] is not null || text.Length > 0) echo["text"] = text;
        if (echo["files"] is not null) echo["files"] = files;
        return echo;
    }

    private static JsonObject Send(CallContext call, ConnectorRecord connector, int line, JsonObject? element)
    {
        var user = element?["user"] as JsonObject;
        var chat = element?["chat"] as JsonObject;
        var message = element?["message"] as JsonObject ?? [];
        if (Php.IsEmpty(user) || Php.IsEmpty(chat)) return ElementError("Not all the required data");
        var (text, files, filesJson) = ReadContent(call, message);
        if (text.Length == 0 && files.Count == 0) return ElementError("Not all the required data");

        var state = call.State;
        var userId = ResolveUser(call, connector, user!);
        var chatId = Php.AsString(chat!["id"]) ?? "";
        var dialog = state.Dialogs.LastOrDefault(d => d.UserCode == UserCode(connector, line, chatId, userId));
        if (dialog is null)
        {
            dialog = new DialogRecord
            {
                ChatId = call.Core.State.NewId(), SessionId = call.Core.State.NewId(), UserCode = UserCode(connector, line, chatId, userId),
                Connector = connector.Id, Line = line, ExternalChatId = chatId, UserId = userId,
            };
            state.Dialogs.Add(dialog);
            if (call.Core.Switches.SendDialogStartEvents) PortalActions.FireDialogEvent(call.Portal, dialog, EventNames.DialogStart, call.UserId);
        }
        else if (dialog.SessionClosed)
        {
            // A message into a closed session opens a new one in the same chat.
            dialog.SessionId = call.Core.State.NewId();
            dialog.SessionClosed = false;
            if (call.Core.Switches.SendDialogStartEvents) PortalActions.FireDialogEvent(call.Portal, dialog, EventNames.DialogStart, call.UserId);
        }
        if (Php.AsString(chat["name"]) is { Length: > 0 } name) dialog.Name = name;
        if (Php.AsString(chat["url"]) is { Length: > 0 } url) dialog.Description = $"Link to the original post: {url}";
        var operatorId = Php.AsInt(message["user_id"]) is { } op && state.Users.Any(u => u.Id == op && !u.External) ? op : 0;
        var mid = Php.AsString(message["id"]);
        // No de-duplication by message.id: a re-send is another message sharing the same CONNECTOR_MID.
        dialog.Messages.Add(new MessageRecord
        {
            Id = call.Core.State.NewId(), AuthorId = operatorId != 0 ? operatorId : userId, Text = text, Files = files, Date = call.Core.Now,
            ConnectorMid = string.IsNullOrEmpty(mid) ? [] : [mid],
        });
        var item = new JsonObject
        {
            ["user"] = userId.ToString(CultureInfo.InvariantCulture),
            ["message"] = MessageEcho(message, text, filesJson),
            ["chat"] = ChatEcho(chat),
        };
        var extra = new JsonObject();
        if (string.Equals(Php.AsString(user!["skip_phone_validate"]), "Y", StringComparison.OrdinalIgnoreCase)) extra["skip_phone_validate"] = "Y";
        if (string.Equals(Php.AsString(message["disable_crm"]), "Y", StringComparison.OrdinalIgnoreCase)) extra["disable_tracker"] = "Y";
        if (extra.Count > 0) item["extra"] = extra;
        item["SUCCESS"] = true;
        item["session"] = new JsonObject
        {
            ["ID"] = dialog.SessionId.ToString(CultureInfo.InvariantCulture), ["CHAT_ID"] = dialog.ChatId.ToString(CultureInfo.InvariantCulture),
        };
        return item;
    }

    private static JsonObject Update(CallContext call, ConnectorRecord connector, int line, JsonObject? element)
    {
        var user = element?["user"] as JsonObject;
        var chat = element?["chat"] as JsonObject;
        var message = element?["message"] as JsonObject ?? [];
        if (Php.IsEmpty(user) || Php.IsEmpty(chat)) return ElementError("Not all the required data");
        var (text, files, filesJson) = ReadContent(call, message);
        if (text.Length == 0 && files.Count == 0) return ElementError("Not all the required data");
        var userId = ResolveUser(call, connector, user!);
        var dialog = FindDialog(call.State, connector, line, Php.AsString(chat!["id"]) ?? "", userId);
        var mid = Php.AsString(message["id"]);
        // Unknown chat, user or message id: a silent no-op that still answers SUCCESS (§9.3). Only the text changes.
        var keepText = text.Length == 0 && !call.Core.Switches.UpdateWithFilesOnlyClearsText;
        foreach (var target in dialog?.Messages.Where(m => mid is not null && m.ConnectorMid.Contains(mid)) ?? [])
        {
            if (!keepText) target.Text = text;
            target.Edited = true;
        }
        return new JsonObject
        {
            ["user"] = userId.ToString(CultureInfo.InvariantCulture),
            ["message"] = MessageEcho(message, text, filesJson),
            ["chat"] = ChatEcho(chat),
            ["SUCCESS"] = true,
        };
    }

    private static JsonObject Delete(CallContext call, ConnectorRecord connector, int line, JsonObject? element)
    {
        var user = element?["user"] as JsonObject;
        var chat = element?["chat"] as JsonObject;
        var message = element?["message"] as JsonObject ?? [];
        if (Php.IsEmpty(user) || Php.IsEmpty(chat)) return ElementError("Not all the required data");
        var userId = ResolveUser(call, connector, user!);
        var dialog = FindDialog(call.State, connector, line, Php.AsString(chat!["id"]) ?? "", userId);
        var mid = Php.AsString(message["id"]);
        dialog?.Messages.RemoveAll(m => mid is not null && m.ConnectorMid.Contains(mid));
        return new JsonObject
        {
            ["user"] = userId.ToString(CultureInfo.InvariantCulture),
            ["message"] = new JsonObject { ["id"] = mid },
            ["chat"] = ChatEcho(chat),
            ["SUCCESS"] = true,
        };
    }

    private static MethodResult Delivery(CallContext call, Params p)
    {
        foreach (var name in new[] { "CONNECTOR", "LINE", "MESSAGES" })
        {
            if (!p.IsSet(name)) throw RestException.Argument(name);
        }
        Gate(call, p, lineGate: false);
        foreach (var element in Php.Elements(Php.RecaseKeys(p["MESSAGES"], upper: false)) ?? [])
        {
            if (element is not JsonObject e) continue;
            var chatId = Php.AsInt(e["im"]?["chat_id"]);
            var messageId = Php.AsInt(e["im"]?["message_id"]);
            var target = call.State.Dialogs.FirstOrDefault(d => d.ChatId == chatId)?.Messages.FirstOrDefault(m => m.Id == messageId);
            // Unknown ids are silently ignored.
            if (target is null) continue;
            var ids = e["message"]?["id"] is JsonArray array ? array.Select(Php.AsString).OfType<string>().ToList() : [Php.AsString(e["message"]?["id"]) ?? ""];
            target.Sending = false;
            target.ConnectorMid = [.. ids.Where(i => i.Length > 0)];
        }
        call.Core.MarkDirty();
        return new(new JsonObject { ["SUCCESS"] = true, ["DATA"] = new JsonArray() });
    }

    private static MethodResult Reading(CallContext call, Params p)
    {
        foreach (var name in new[] { "CONNECTOR", "LINE", "MESSAGES" })
        {
            if (!p.IsSet(name)) throw RestException.Argument(name);
        }
        Gate(call, p, lineGate: false);
        return new(new JsonObject { ["SUCCESS"] = true, ["DATA"] = new JsonArray() });
    }

    private static MethodResult ChatNameSet(CallContext call, Params p)
    {
        // empty() checks: "0" counts as missing.
        foreach (var name in new[] { "CONNECTOR", "LINE", "CHAT_ID", "NAME" })
        {
            if (Php.IsEmpty(p[name])) throw RestException.Argument(name);
        }
        var (connector, line) = Gate(call, p, lineGate: true);
        var chatGroup = connector.Flags.GetValueOrDefault("CHAT_GROUP");
        if (!chatGroup && Php.IsEmpty(p["USER_ID"])) throw RestException.Argument("USER_ID");
        var userId = 0;
        if (!chatGroup)
        {
            userId = call.Core.Switches.ChatNameSetUserIdIsExternal
                ? call.State.ExternalUsers.GetValueOrDefault($"{connector.Id}|{p.String("USER_ID")}")
                : p.Int("USER_ID") ?? 0;
        }
        var dialog = call.State.Dialogs.LastOrDefault(d => d.UserCode == UserCode(connector, line, p.String("CHAT_ID")!, userId))
            ?? throw new RestException(400, ErrorCodes.ChatRenamingFailed, "Failed to rename the chat");
        dialog.Name = p.String("NAME");
        call.Core.MarkDirty();
        return new(new JsonObject { ["SUCCESS"] = true, ["DATA"] = new JsonObject { ["RESULT"] = new JsonObject() } });
    }
}
