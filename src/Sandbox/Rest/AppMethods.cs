using System.Globalization;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Rest;

/// <summary><c>app.info</c>, <c>user.current</c>, <c>user.admin</c>, <c>profile</c>.</summary>
internal static class AppMethods
{
    public static void Register(RestEngine engine)
    {
        engine.Add("app.info", "", appOnly: true, AppInfo);
        engine.Add("user.current", "", appOnly: false, (call, _) => new MethodResult(UserJson(call.User)));
        engine.Add("user.admin", "", appOnly: false, (call, _) => new MethodResult(call.User.Admin));
        engine.Add("profile", "", appOnly: false, Profile);
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
