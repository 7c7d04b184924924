using System.Net;
using System.Text;
using System.Text.Json;
using LineBridge.Infrastructure;
using LineBridge.Storage;

namespace LineBridge.Install;

public class InstallEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Install_StoresPortal_RegistersConnector_AndBindsEveryEvent()
    {
        await using var app = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);

        var response = await app.InstallAsync(app.Portal, Ct);

        var page = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("/_content/LineBridge.Components/bx24.js", page);
        Assert.Contains("BX24.installFinish()", page);
        Assert.Contains("Installed", page);
        Assert.Contains(app.Portal.BaseUri.GetLeftPart(UriPartial.Authority), response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.False(response.Headers.Contains("X-Frame-Options"));

        var register = app.Portal.Calls.Single(c => c.Method == "imconnector.register");
        Assert.Equal(200, register.Status);
        var parameters = JsonDocument.Parse(register.Parameters).RootElement;
        Assert.Equal("linebridge", parameters.GetProperty("ID").GetString());
        Assert.Equal("LineBridge", parameters.GetProperty("NAME").GetString());
        Assert.StartsWith("data:image/svg+xml,", parameters.GetProperty("ICON").GetProperty("DATA_IMAGE").GetString());
        Assert.Equal(new Uri(app.BaseUri, "placement").AbsoluteUri, parameters.GetProperty("PLACEMENT_HANDLER").GetString());
        Assert.True(parameters.GetProperty("EDIT_INTERNAL_MESSAGES").GetBoolean());
        Assert.True(parameters.GetProperty("DEL_INTERNAL_MESSAGES").GetBoolean());

        var connector = Assert.Single(app.Portal.Connectors);
        Assert.Equal(new Uri(app.BaseUri, "placement").AbsoluteUri, connector.PlacementHandler);
        var events = new Uri(app.BaseUri, "events").AbsoluteUri;
        Assert.Equal(
            ["ONAPPUNINSTALL", "ONIMCONNECTORLINEDELETE", "ONIMCONNECTORMESSAGEADD", "ONIMCONNECTORMESSAGEDELETE", "ONIMCONNECTORMESSAGEUPDATE", "ONIMCONNECTORSTATUSDELETE"],
            app.Portal.EventBindings.Where(b => b.Handler == events).Select(b => b.Event).Order());
        Assert.All(app.Portal.Calls.Where(c => c.Method == "event.bind"), c => Assert.Equal(200, c.Status));
        Assert.True(app.Portal.AppInstalled);

        var portal = app.Store.Find(app.Portal.MemberId)!;
        Assert.Equal(PortalStatus.Installed, portal.Status);
        Assert.Equal(app.Portal.Domain, portal.Domain);
        Assert.Equal(app.Portal.RestUri.AbsoluteUri, portal.ClientEndpoint);
        Assert.Equal(app.Portal.ApplicationToken, portal.ApplicationToken);
        Assert.Equal(1, portal.InstalledByUserId);
        Assert.Equal("en", portal.Language);
        Assert.NotNull(portal.AccessToken);
    }

    [Fact]
    public async Task Install_KeepsTokensUnreadable_InTheDatabaseFile()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var portal = app.Store.Find(app.Portal.MemberId)!;

        var files = app.DataFiles().ToList();

        Assert.NotEmpty(files);
        Assert.Contains(files, f => Encoding.UTF8.GetString(f.Bytes).Contains(app.Portal.MemberId));
        foreach (var secret in new[] { portal.AccessToken!, portal.RefreshToken!, portal.ApplicationToken! })
        {
            Assert.All(files, f => Assert.DoesNotContain(secret, Encoding.UTF8.GetString(f.Bytes) + Encoding.Unicode.GetString(f.Bytes)));
        }
    }

    [Fact]
    public async Task Reinstall_IsIdempotent()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var bindings = app.Portal.EventBindings.Count;

        // Installed portals open the handler URL; an admin re-running the install posts to it again.
        var again = await app.PostFrameAsync("install", app.Portal.BuildFramePost(userId: 1), new Dictionary<string, string?>(), Ct);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(bindings, app.Portal.EventBindings.Count);
        Assert.Single(app.Portal.Connectors);
        Assert.All(app.Portal.Calls, c => Assert.True(c.Status == 200, $"{c.Method} answered {c.Status} {c.Error}"));
        Assert.Single(app.Store.All());
    }

    [Fact]
    public async Task Install_AcceptsAnOnAppInstallEvent()
    {
        await using var app = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);
        var frame = app.Portal.BuildFramePost(userId: 1);

        var response = await app.Http.PostAsync("install", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["event"] = "ONAPPINSTALL",
            ["data[LANGUAGE_ID]"] = "de",
            ["auth[access_token]"] = frame.Form["AUTH_ID"],
            ["auth[refresh_token]"] = frame.Form["REFRESH_ID"],
            ["auth[domain]"] = app.Portal.Domain,
            ["auth[client_endpoint]"] = app.Portal.RestUri.AbsoluteUri,
            ["auth[member_id]"] = app.Portal.MemberId,
            ["auth[application_token]"] = frame.Form["APPLICATION_TOKEN"],
        }), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("de", app.Store.Find(app.Portal.MemberId)!.Language);
        Assert.Single(app.Portal.Connectors);
    }

    public static TheoryData<string, string?, HttpStatusCode, string> ForgedInstallPosts => new()
    {
        { "AUTH_ID", null, HttpStatusCode.BadRequest, "AUTH_ID" },
        { "REFRESH_ID", null, HttpStatusCode.BadRequest, "REFRESH_ID" },
        { "member_id", null, HttpStatusCode.BadRequest, "member_id" },
        { "DOMAIN", null, HttpStatusCode.BadRequest, "DOMAIN" },
        { "DOMAIN", "evil.example/path@x", HttpStatusCode.BadRequest, "DOMAIN" },
        { "AUTH_ID", "forged-token", HttpStatusCode.Unauthorized, "refused AUTH_ID" },
        { "REFRESH_ID", "forged-refresh", HttpStatusCode.Unauthorized, "refused REFRESH_ID" },
        { "member_id", "0123456789abcdef0123456789abcdef", HttpStatusCode.Forbidden, "member_id does not match" },
    };

    [Theory]
    [MemberData(nameof(ForgedInstallPosts))]
    public async Task Install_IsRefusedWithAClearError_AndStoresNothing(string field, string? value, HttpStatusCode status, string message)
    {
        await using var app = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);

        var response = await app.PostFrameAsync("install", app.Portal.BuildFramePost(userId: 1), new Dictionary<string, string?> { [field] = value }, Ct);

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(Ct));
        Assert.Empty(app.Store.All());
        Assert.Empty(app.Portal.Connectors);
        Assert.DoesNotContain(app.Portal.Calls, c => c.Method is "imconnector.register" or "event.bind");
    }

    [Fact]
    public async Task Install_IsRefused_WhenTheTokenBelongsToAnotherApplication()
    {
        await using var app = await SandboxedApp.StartAsync(install: false,
            settings: new Dictionary<string, string?> { ["Bitrix24:ClientId"] = "local.other.app" }, cancellationToken: Ct);

        var response = await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 1), Ct);

        Assert.True(HttpStatusCode.Forbidden == response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains("Bitrix24:ClientId", await response.Content.ReadAsStringAsync(Ct));
        Assert.Empty(app.Store.All());
    }

    [Fact]
    public async Task Install_IsRefused_WhenNotAForm()
    {
        await using var app = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);

        var response = await app.Http.PostAsync("install", new StringContent("{}", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(app.Store.All());
    }
}
