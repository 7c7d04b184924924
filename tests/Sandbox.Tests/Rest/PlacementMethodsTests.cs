using System.Net;
using Xunit;

namespace LineBridge.Sandbox.Rest;

public class PlacementMethodsTests
{
    [Fact]
    public async Task BindGetUnbind_ManageAPlacement()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, bound) = await sandbox.CallAsync("placement.bind", new { PLACEMENT = "IM_SIDEBAR", HANDLER = "http://127.0.0.1:9/side", TITLE = "Side" });
        var (_, list) = await sandbox.CallAsync("placement.get");
        var (_, unbound) = await sandbox.CallAsync("placement.unbind", new { PLACEMENT = "IM_SIDEBAR", HANDLER = "http://127.0.0.1:9/side" });

        Assert.True(bound["result"]!.GetValue<bool>());
        Assert.Equal("IM_SIDEBAR", list["result"]![0]!["placement"]!.GetValue<string>());
        Assert.Equal(1, unbound["result"]!["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(1, "NO_SUCH_PLACE", 400, "ERROR_PLACEMENT_NOT_FOUND")]
    [InlineData(2, "IM_SIDEBAR", 403, "ACCESS_DENIED")]
    public async Task Bind_RefusesUnknownPlacementsAndNonAdmins(int user, string placement, int status, string error)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (actual, body) = await sandbox.CallAsync("placement.bind", new { PLACEMENT = placement, HANDLER = "http://127.0.0.1:9/side" }, sandbox.Token(user));

        Assert.Equal(status, (int)actual);
        Assert.Equal(error, body["error"]!.GetValue<string>());
    }
}
