using System.Globalization;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Rest;

/// <summary><c>app.info</c>, <c>user.current</c>, <c>user.admin</c>, <c>profile</c>, <c>im.user.get</c>.</summary>
internal static class AppMethods
{
    public static void Register(RestEngine engine)
    {
        engine.Add("app.info", "", appOnly: true, AppInfo);
        engine.Add("user.current", "", appOnly: false, (call, _) => new MethodResult(UserJson(call.User)));
        engine.Add("user.admin", "", appOnly: false, (call, _) => new MethodResult(call.User.Admin));
        engine.Add("profile", "", appOnly: false, Profile);
        engine.Add("im.user.get", "im", appOnly: false, ImUserGet);
    }

    /// <summary>
    /// A user's chat card (b24restdocs api-reference/chats/users/im-user-get.md): without <c>ID</c> the caller; an
    /// unknown id is <c>USER_NOT_EXISTS</c>; a non-numeric one <c>ID_EMPTY</c>.
    /// </summary>
    private static MethodResult ImUserGet(CallContext call, Params p)
    {
        UserRecord user;
        if (p["ID"] is null)
        {
            user = call.User;
        }
        else
        {
            if (p.Int("ID") is not { } id || id <= 0) throw new RestException(400, ErrorCodes.IdEmpty, "User ID can't be empty");
            user = call.State.Users.FirstOrDefault(u => u.Id == id)
                ?? throw new RestException(400, ErrorCodes.UserNotExists, "User with the specified identifier not found");
        }
        var name = string.Join(' ', new[] { user.Name, user.LastName }.Where(n => n.Length > 0));
        return new MethodResult(new JsonObject
        {
            ["id"] = user.Id,
            ["name"] = name,
            ["first_name"] = user.Name,
            ["last_name"] = user.LastName,
            ["work_position"] = user.Position,
            ["color"] = "#df532d",
            ["avatar"] = "",
            ["gender"] = user.Gender,
            ["birthday"] = "",
            ["extranet"] = false,
            ["network"] = false,
            ["bot"] = false,
            ["connector"] = user.External,
            ["external_auth_id"] = user.External ? "imconnector" : "default",
            ["status"] = "online",
            ["idle"] = false,
            ["last_activity_date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["desktop_last_date"] = false,
            ["mobile_last_date"] = false,
            ["departments"] = new JsonArray(1),
            ["absent"] = false,
            ["phones"] = new JsonObject { ["work_phone"] = "", ["personal_mobile"] = "", ["personal_phone"] = "" },
        });
    }

    private static MethodResult AppInfo(CallContext call, Params p)
    {
        var portal = call.Portal;
        return new MethodResult(new JsonObject
        {
            ["ID"] = call.State.AppId,
            ["CODE"] = call.Core.State.ClientId,
            ["VERSION"] = 1,
            ["STATUS"] = portal.Options.PlanStatus,
            ["INSTALLED"] = call.State.AppInstalled,
            ["PAYMENT_EXPIRED"] = call.State.PaymentRequired ? "Y" : "N",
            ["DAYS"] = null,
            ["LANGUAGE_ID"] = portal.Options.Language,
            ["LICENSE"] = $"{portal.Options.Language}_project",
            ["LICENSE_TYPE"] = "project",
            ["LICENSE_FAMILY"] = "project",
        });
    }

    internal static JsonObject UserJson(UserRecord user) => new()
    {
        ["ID"] = user.Id.ToString(CultureInfo.InvariantCulture),
        ["XML_ID"] = user.External ? $"imconnector|{user.Id}" : "",
        ["ACTIVE"] = true,
        ["NAME"] = user.Name,
        ["LAST_NAME"] = user.LastName,
        ["SECOND_NAME"] = "",
        ["EMAIL"] = user.Email,
        ["PERSONAL_GENDER"] = user.Gender,
        ["WORK_POSITION"] = user.Position,
        ["IS_ONLINE"] = "Y",
        ["TIME_ZONE"] = "",
        ["TIME_ZONE_OFFSET"] = "0",
        ["UF_DEPARTMENT"] = new JsonArray(1),
        ["USER_TYPE"] = user.External ? "extranet" : "employee",
    };

    private static MethodResult Profile(CallContext call, Params p) => new(new JsonObject
    {
        ["ID"] = call.User.Id.ToString(CultureInfo.InvariantCulture),
        ["ADMIN"] = call.User.Admin,
        ["NAME"] = call.User.Name,
        ["LAST_NAME"] = call.User.LastName,
        ["PERSONAL_GENDER"] = call.User.Gender,
        ["PERSONAL_PHOTO"] = "",
        ["TIME_ZONE"] = "",
        ["TIME_ZONE_OFFSET"] = 0,
    });
}
