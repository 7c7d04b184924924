using System.Globalization;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Rest;

/// <summary>
/// <c>im.dialog.messages.get</c> (scope <c>im</c>, any user), as documented in
/// b24restdocs api-reference/chats/messages/im-dialog-messages-get.md: <c>DIALOG_ID</c> (<c>chatN</c> or a user id),
/// <c>FIRST_ID</c> (messages after it, oldest first), <c>LAST_ID</c> (messages before it, newest first), <c>LIMIT</c>
/// (default 20, at most 50). Without FIRST_ID/LAST_ID: the last messages. Answers
/// <c>{messages:[{id,chat_id,author_id,date,text,params}],users:[...],files:[],chat_id}</c>; errors
/// <c>DIALOG_ID_EMPTY</c> and <c>ACCESS_ERROR</c>. Edited messages carry <c>params.IS_EDITED = "Y"</c>; deleted ones are
/// gone. Open-line dialogs are readable by portal administrators and by operators (users who are not external).
/// </summary>
internal static class ImMethods
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 50;

    public static void Register(RestEngine engine)
    {
        engine.Add("im.dialog.messages.get", "im", appOnly: false, DialogMessages);
    }

    private static MethodResult DialogMessages(CallContext call, Params p)
    {
        var dialogId = p.String("DIALOG_ID");
        if (string.IsNullOrEmpty(dialogId)) throw new RestException(400, ErrorCodes.DialogIdEmpty, "Dialog ID can't be empty");
        var dialog = dialogId.StartsWith("chat", StringComparison.OrdinalIgnoreCase) &&
                     int.TryParse(dialogId.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var chatId)
            ? call.State.Dialogs.FirstOrDefault(d => d.ChatId == chatId) : null;
        if (dialog is null || call.User.External) throw new RestException(403, ErrorCodes.AccessError, "You do not have access to the specified dialog");

        var limit = Math.Clamp(p.Int("LIMIT") ?? DefaultLimit, 1, MaxLimit);
        var firstId = p.Int("FIRST_ID");
        var lastId = p.Int("LAST_ID");
        IEnumerable<MessageRecord> selected = firstId is { } first
            ? dialog.Messages.Where(m => m.Id > first).OrderBy(m => m.Id).Take(limit)
            : dialog.Messages.Where(m => lastId is not { } last || m.Id < last).OrderByDescending(m => m.Id).Take(limit);

        var messages = new JsonArray();
        var authors = new HashSet<int>();
        foreach (var m in selected)
        {
            authors.Add(m.AuthorId);
            messages.Add(new JsonObject
            {
                ["id"] = m.Id,
                ["chat_id"] = dialog.ChatId,
                ["author_id"] = m.AuthorId,
                ["date"] = m.Date.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
                ["text"] = m.Text,
                ["params"] = m.Edited ? new JsonObject { ["IS_EDITED"] = "Y" } : null,
            });
        }
        var users = new JsonArray();
        foreach (var user in call.State.Users.Where(u => authors.Contains(u.Id)))
        {
            users.Add(new JsonObject
            {
                ["id"] = user.Id, ["name"] = $"{user.Name} {user.LastName}".Trim(), ["first_name"] = user.Name, ["last_name"] = user.LastName,
                ["connector"] = user.External, ["bot"] = false, ["extranet"] = user.External,
            });
        }
        return new MethodResult(new JsonObject { ["messages"] = messages, ["users"] = users, ["files"] = new JsonArray(), ["chat_id"] = dialog.ChatId });
    }
}
