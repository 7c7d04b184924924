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
}
