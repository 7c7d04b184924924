using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.Rest;

/// <summary>Odd and hostile parameters for every method answer a Bitrix24-shaped result or error, never a 500.</summary>
public class RestRobustnessTests
{
    private static readonly string[] s_methods =
    [
        "app.info", "user.current", "user.admin", "profile", "event.bind", "event.unbind", "event.get", "placement.bind", "placement.unbind",
        "placement.get", "imconnector.register", "imconnector.unregister", "imconnector.list", "imconnector.status", "imconnector.activate",
        "imconnector.connector.data.set", "imconnector.set.error", "imconnector.send.messages", "imconnector.update.messages",
        "imconnector.delete.messages", "imconnector.send.status.delivery", "imconnector.send.status.reading", "imconnector.chat.name.set",
        "imopenlines.config.list.get", "imopenlines.config.get", "batch",
    ];

    private static readonly string[] s_bodies =
    [
        "{}",
        """{"CONNECTOR":"lb_test","LINE":"1","MESSAGES":{"a":"b","c":[1,2,{"user":"x"}]},"ID":{"x":1},"NAME":[],"ICON":"x","PLACEMENT_HANDLER":7}""",
        """{"CONNECTOR":["lb_test"],"LINE":{"0":1},"MESSAGES":[null,1,"s",[],{"user":[],"chat":"c","message":{"id":{"x":1},"text":["t"],"files":"f"}}],"ACTIVE":{"a":1},"DATA":[1,2]}""",
        """{"CONNECTOR":"lb_test","LINE":99999999999999,"MESSAGES":[{"user":{"id":null},"chat":{"id":{"deep":[1]}},"message":{"id":[1,2],"text":1e308}}],"CHAT_ID":{"a":1},"NAME":"n","USER_ID":[1]}""",
        """{"PARAMS":{"select":"ID","order":["ID"],"filter":"ACTIVE","limit":"x","offset":-5},"OPTIONS":[1],"CONFIG_ID":"NaN","WITH_QUEUE":{"a":1}}""",
        """{"cmd":{"a":{"x":1},"b":null,"c":"?","d":"user.current?auth[]=1&x[[[=2","e":"$result[zz][a][b]"},"halt":{"x":1}}""",
        """{"cmd":"user.current","event":["OnAppUninstall"],"handler":{"u":1},"auth_type":"abc","event_type":[],"PLACEMENT":{"a":1},"HANDLER":[]}""",
        """{"a":1,"a":2,"A":3}""",
    ];

    public static TheoryData<string> Methods => [.. s_methods];

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task EveryMethod_AnswersOddInput_WithoutA500(string method)
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Portals[0].Burst = 1000);
        await sandbox.ConnectAsync();
        var token = sandbox.Token();
        var forms = new[] { "MESSAGES[0][user]=x&MESSAGES[0][user][id]=y&LINE[]=1&CONNECTOR[x][y]=z", "[]=1&&=&%zz=%&a[=1&a]]=2&cmd[]=user.current" };

        foreach (var json in s_bodies)
        {
            var response = await sandbox.Http.PostAsync(new Uri(sandbox.Portal.RestUri, $"{method}?auth={token}"),
                new StringContent(json, Encoding.UTF8, "application/json"), SandboxTestHost.Ct);
            await AssertBitrixShapedAsync(response, method, json);
        }
        foreach (var form in forms)
        {
            var response = await sandbox.Http.PostAsync(new Uri(sandbox.Portal.RestUri, $"{method}?auth={token}"),
                new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"), SandboxTestHost.Ct);
            await AssertBitrixShapedAsync(response, method, form);
        }
    }

    private static async Task AssertBitrixShapedAsync(HttpResponseMessage response, string method, string input)
    {
        var body = await SandboxTestHost.ReadAsync(response);
        Assert.True((int)response.StatusCode < 500, $"{method} answered {(int)response.StatusCode} to {input}: {body.ToJsonString()}");
        Assert.True(body.ContainsKey("result") || (body.ContainsKey("error") && body.ContainsKey("error_description")), $"{method}: {body.ToJsonString()}");
    }
}
