using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace LineBridge.Sandbox.Pages;

public class PortalPagesTests
{
    private static async Task<(HttpStatusCode Status, string Html)> PageAsync(SandboxTestHost sandbox, string path)
    {
        var response = await sandbox.Http.GetAsync(new Uri(sandbox.Portal.BaseUri, path), SandboxTestHost.Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(SandboxTestHost.Ct));
    }

    private static async Task<HttpResponseMessage> SubmitAsync(SandboxTestHost sandbox, string path, params (string Key, string Value)[] fields) =>
        await sandbox.Http.PostAsync(new Uri(sandbox.Portal.BaseUri, path), new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Key, f.Value))), SandboxTestHost.Ct);

    [Theory]
    [InlineData("/")]
    [InlineData("/devops/local-app/")]
    [InlineData("/marketplace/app/local/")]
    [InlineData("/contact_center/")]
    [InlineData("/online/")]
    [InlineData("/_sandbox/assets/portal.css")]
    [InlineData("/_sandbox/assets/applayout.js")]
    public async Task Pages_AreServed_AndLoadNothingFromOutside(string path)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, html) = await PageAsync(sandbox, path);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotMatch(@"(src|href)=""(https?:)?//", html);
    }

    [Fact]
    public async Task AppPage_FramesTheInstallUrl_WithTheRealFormPostFields_UntilTheInstallFinished()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, html) = await PageAsync(sandbox, "/marketplace/app/local/?lang=ru");

        var name = Regex.Match(html, "<iframe id=\"app-frame\"[^>]* name=\"([^\"]+)\"").Groups[1].Value;
        var parts = WebUtility.HtmlDecode(name).Split('|');
        Assert.Equal([sandbox.Portal.Domain, "0"], parts[..2]);
        Assert.Matches("^[0-9a-f]{32}$", parts[2]);
        var action = WebUtility.HtmlDecode(Regex.Match(html, "<form id=\"app-frame-form\" method=\"post\" target=\"[^\"]+\" action=\"([^\"]+)\"").Groups[1].Value);
        Assert.StartsWith(sandbox.Host.App.InstallUrl + "?", action);
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(action).Query);
        Assert.Equal((sandbox.Portal.Domain, "0", "ru", parts[2]), (query["DOMAIN"], query["PROTOCOL"], query["LANG"], query["APP_SID"]));
        var fields = Regex.Matches(html, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">").ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        Assert.Equal(sandbox.Portal.ApplicationToken, fields["APPLICATION_TOKEN"]);
        Assert.Equal(sandbox.Portal.MemberId, fields["member_id"]);
        Assert.Equal("DEFAULT", fields["PLACEMENT"]);
        var (userStatus, user) = await sandbox.CallAsync("user.current", token: fields["AUTH_ID"]);
        Assert.Equal((HttpStatusCode.OK, "1"), (userStatus, user["result"]!["ID"]!.GetValue<string>()));

        sandbox.Portal.FinishInstall();
        var (_, after) = await PageAsync(sandbox, "/marketplace/app/local/?install_finished=Y");
        Assert.Contains("action=\"" + sandbox.Host.App.HandlerUrl + "?", after);
    }

    [Fact]
    public async Task CurrentUser_IsChosenWithAQueryParameter_AndRememberedInACookie()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, CookieContainer = new CookieContainer() });
        sandbox.Portal.FinishInstall();

        await browser.GetStringAsync(new Uri(sandbox.Portal.BaseUri, "/?user=2"), SandboxTestHost.Ct);
        var html = await browser.GetStringAsync(new Uri(sandbox.Portal.BaseUri, "/marketplace/app/local/"), SandboxTestHost.Ct);

        var token = Regex.Match(html, "name=\"AUTH_ID\" value=\"([^\"]+)\"").Groups[1].Value;
        var (_, user) = await sandbox.CallAsync("user.current", token: token);
        Assert.Equal("2", user["result"]!["ID"]!.GetValue<string>());
        Assert.Contains("\"IS_ADMIN\":false", html);
    }

    [Fact]
    public async Task AppPage_TellsOperatorsTheAppIsNotFullyInstalled_BeforeTheInstallFinished()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, html) = await PageAsync(sandbox, "/marketplace/app/local/?user=3");

        Assert.Contains("data-testid=\"app-not-installed\"", html);
        Assert.DoesNotContain("app-frame-form", html);
    }

    [Fact]
    public async Task InstallFinish_FromTheFrame_MarksTheAppInstalled_OnlyForAnIssuedAppSid()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var (_, html) = await PageAsync(sandbox, "/marketplace/app/local/");
        var appSid = Regex.Match(html, "\"appSid\":\"([0-9a-f]+)\"").Groups[1].Value;

        var forged = await SubmitAsync(sandbox, "/marketplace/app/local/set-installed", ("appSid", "0123"));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.False(sandbox.Portal.AppInstalled);

        var refreshed = await SubmitAsync(sandbox, "/marketplace/app/local/refresh-auth", ("appSid", appSid));
        var auth = await SandboxTestHost.ReadAsync(refreshed);
        Assert.Equal(HttpStatusCode.OK, (await sandbox.CallAsync("user.current", token: auth["AUTH_ID"]!.GetValue<string>())).Status);

        var finished = await SubmitAsync(sandbox, "/marketplace/app/local/set-installed", ("appSid", appSid));
        Assert.True((await SandboxTestHost.ReadAsync(finished))["installed"]!.GetValue<bool>());
        Assert.True(sandbox.Portal.AppInstalled);
    }

    [Fact]
    public async Task LocalAppForm_SavesUrlsAndScopes_AndShowsTheCredentials()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.SeedApp = false);
        Assert.False(sandbox.Portal.AppAdded);

        var response = await SubmitAsync(sandbox, "/devops/local-app/",
            ("handler", "http://127.0.0.1:7002/placement"), ("install", "http://127.0.0.1:7002/install"), ("scopes", "imopenlines, placement"));
        var html = await response.Content.ReadAsStringAsync(SandboxTestHost.Ct);

        Assert.True(sandbox.Portal.AppAdded);
        Assert.Equal(("http://127.0.0.1:7002/placement", "imopenlines,placement"), (sandbox.Host.App.HandlerUrl, sandbox.Host.App.Scopes));
        Assert.Contains(sandbox.Host.App.ClientId, html);
        Assert.Contains(sandbox.Host.App.ClientSecret, html);
    }

    [Fact]
    public async Task ContactCenter_HidesTilesBeforeInstall_ThenConnectSetsActiveAndFramesTheSettingConnectorPlacement()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.CallAsync("imconnector.register", SandboxTestHost.Connector(handler: "http://127.0.0.1:7003/connector"));
        Assert.Contains("connectors-hidden", (await PageAsync(sandbox, "/contact_center/")).Html);
        sandbox.Portal.FinishInstall();
        Assert.Contains("data-testid=\"connector-tile-lb_test\"", (await PageAsync(sandbox, "/contact_center/")).Html);

        var connect = await SubmitAsync(sandbox, "/contact_center/connect", ("connector", "lb_test"), ("line", "2"));
        Assert.Equal(HttpStatusCode.Redirect, connect.StatusCode);
        var (_, frame) = await PageAsync(sandbox, connect.Headers.Location!.ToString());

        var status = sandbox.Portal.LineStatuses.Single();
        Assert.Equal((2, true, false), (status.Line, status.Active, status.Status));
        Assert.Contains("action=\"http://127.0.0.1:7003/connector?", frame);
        var fields = Regex.Matches(frame, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">").ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        Assert.Equal("SETTING_CONNECTOR", fields["PLACEMENT"]);
        var options = JsonNode.Parse(fields["PLACEMENT_OPTIONS"])!;
        Assert.Equal(("lb_test", "2", false, true), (options["CONNECTOR"]!.GetValue<string>(), options["LINE"]!.GetValue<string>(),
            options["STATUS"]!.GetValue<bool>(), options["ACTIVE_STATUS"]!.GetValue<bool>()));
        Assert.StartsWith("/contact_center/connector/?ID=lb_test", options["URI"]!.GetValue<string>());
    }

    [Fact]
    public async Task OperatorView_ShowsChatsAsThePortalHoldsThem_AndItsFormsActAsOperators()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.CallAsync("event.bind", new { @event = "OnImConnectorMessageAdd", handler = receiver.Url });
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "first <b>"), ("u1", "c1", "m2", "to be deleted")));
        await sandbox.CallAsync("imconnector.update.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "first, fixed")));
        await sandbox.CallAsync("imconnector.delete.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m2", "")));
        var dialog = sandbox.Portal.Dialogs.Single();
        var edited = dialog.Messages.Single();

        var (_, html) = await PageAsync(sandbox, "/online/?line=1");
        Assert.Contains($"data-testid=\"message-text-{edited.Id}\">first, fixed</span>", html);
        Assert.Contains($"data-testid=\"message-edited-{edited.Id}\"", html);
        Assert.DoesNotContain("to be deleted", html);

        var reply = await SubmitAsync(sandbox, "/online/reply", ("line", "1"), ("chat", "c1"), ("text", "Hello from the page"), ("return", "/online/?line=1"));
        Assert.Equal(HttpStatusCode.Redirect, reply.StatusCode);
        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the message add event");
        var operatorMessage = sandbox.Portal.Dialogs.Single().Messages.Last();
        Assert.Equal(("Hello from the page", true), (operatorMessage.Text, operatorMessage.FromOperator));

        await SubmitAsync(sandbox, "/online/edit", ("message", operatorMessage.Id.ToString()), ("text", "Hello, edited"));
        Assert.Contains($"data-testid=\"message-edited-{operatorMessage.Id}\"", (await PageAsync(sandbox, "/online/?line=1")).Html);
        await SubmitAsync(sandbox, "/online/delete", ("message", operatorMessage.Id.ToString()));
        Assert.DoesNotContain(sandbox.Portal.Dialogs.Single().Messages, m => m.Id == operatorMessage.Id);

        await SubmitAsync(sandbox, "/contact_center/disable", ("connector", "lb_test"), ("line", "1"));
        Assert.Empty(sandbox.Portal.LineStatuses);
        await SubmitAsync(sandbox, "/online/delete-line", ("line", "1"));
        Assert.DoesNotContain(sandbox.Portal.OpenLines, l => l.Id == 1);
    }

    [Theory]
    [InlineData("/online/reply", "line=1&chat=nope&text=hi")]
    [InlineData("/online/edit", "message=999999&text=x")]
    [InlineData("/online/delete", "message=999999")]
    [InlineData("/contact_center/connect", "connector=nope&line=1")]
    public async Task OperatorForms_WithUnknownTargets_AnswerABadRequestPage(string path, string form)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        sandbox.Portal.FinishInstall();

        var response = await sandbox.Http.PostAsync(new Uri(sandbox.Portal.BaseUri, path),
            new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"), SandboxTestHost.Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("data-testid=\"error\"", await response.Content.ReadAsStringAsync(SandboxTestHost.Ct));
    }

    [Fact]
    public async Task OperatorEdit_OfAClientMessage_IsRefused()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.ConnectAsync();
        await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "hello")));
        var clientMessage = sandbox.Portal.Dialogs.Single().Messages.Single();

        await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.Portal.OperatorEditAsync(clientMessage.Id, "hijacked"));
        Assert.Equal("hello", sandbox.Portal.Dialogs.Single().Messages.Single().Text);
    }
}
