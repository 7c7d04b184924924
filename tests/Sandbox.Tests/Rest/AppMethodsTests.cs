using System.Net;
using Xunit;

namespace LineBridge.Sandbox.Rest;

public class AppMethodsTests
{
    [Fact]
    public async Task AppInfo_UserCurrent_UserAdmin_Profile_AnswerTheirShapes()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var operatorToken = sandbox.Token(userId: 2);

        var (_, app) = await sandbox.CallAsync("app.info");
        var (_, current) = await sandbox.CallAsync("user.current", token: operatorToken);
        var (_, admin) = await sandbox.CallAsync("user.admin", token: operatorToken);
        var (_, profile) = await sandbox.CallAsync("profile");

        Assert.Equal(sandbox.Host.App.ClientId, app["result"]!["CODE"]!.GetValue<string>());
        Assert.False(app["result"]!["INSTALLED"]!.GetValue<bool>());
        Assert.Equal("L", app["result"]!["STATUS"]!.GetValue<string>());
        Assert.Equal("2", current["result"]!["ID"]!.GetValue<string>());
        Assert.False(admin["result"]!.GetValue<bool>());
        Assert.True(profile["result"]!["ADMIN"]!.GetValue<bool>());
        sandbox.Portal.FinishInstall();
        Assert.True((await sandbox.CallAsync("app.info")).Body["result"]!["INSTALLED"]!.GetValue<bool>());
    }

    /// <summary>b24restdocs api-reference/chats/users/im-user-get.md: the user's chat card; errors ID_EMPTY, USER_NOT_EXISTS.</summary>
    [Fact]
    public async Task ImUserGet_AnswersAUsersChatCard_TheCallerWithoutId_AndTheDocumentedErrors()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, oleg) = await sandbox.CallAsync("im.user.get", new { ID = 2 });
        var (_, self) = await sandbox.CallAsync("im.user.get", token: sandbox.Token(userId: 3));
        var (missingStatus, missing) = await sandbox.CallAsync("im.user.get", new { ID = 999 });
        var (emptyStatus, empty) = await sandbox.CallAsync("im.user.get", new { ID = "x" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, oleg["result"]!["id"]!.GetValue<int>());
        Assert.Equal("Oleg Operator", oleg["result"]!["name"]!.GetValue<string>());
        Assert.Equal("Oleg", oleg["result"]!["first_name"]!.GetValue<string>());
        Assert.False(oleg["result"]!["bot"]!.GetValue<bool>());
        Assert.Equal(3, self["result"]!["id"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.BadRequest, missingStatus);
        Assert.Equal("USER_NOT_EXISTS", missing["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, emptyStatus);
        Assert.Equal("ID_EMPTY", empty["error"]!.GetValue<string>());
    }
}
