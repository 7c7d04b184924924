using System.Net;
using System.Web;
using LineBridge.Components.Portal;
using LineBridge.Infrastructure;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Placement;

public class PlacementEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IPortalSessions Sessions(SandboxedApp app) => app.Services.GetRequiredService<IPortalSessions>();

    private static string TicketOf(HttpResponseMessage response) =>
        HttpUtility.ParseQueryString(response.Headers.Location!.OriginalString.Split('?', 2)[1])["ticket"]!;

    [Fact]
    public async Task AppFrame_RedirectsToLines_WithATicketForThatUser()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);

        var response = await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 1), Ct);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.StartsWith("/lines?ticket=", response.Headers.Location!.OriginalString);
        var session = Sessions(app).Open(TicketOf(response))!;
        Assert.Equal(app.Portal.MemberId, session.MemberId);
        Assert.Equal(app.Portal.Domain, session.PortalDomain);
        Assert.Equal(1, session.UserId);
        Assert.Equal("Anna Admin", session.UserName);
        Assert.True(session.IsAdmin);
        Assert.Equal("en", session.Language);
        Assert.Equal("DEFAULT", session.Placement);
        Assert.Null(session.ConnectorPlacement);
        Assert.Equal(PortalState.Ready, await Sessions(app).GetStateAsync(session, Ct));
    }

    [Fact]
    public async Task ConnectorTile_RedirectsToConnector_WithLineFromPlacementOptions()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var frame = app.Portal.BuildFramePost(userId: 2, "SETTING_CONNECTOR",
            """{"CONNECTOR":"linebridge","LINE":"1","STATUS":false,"ACTIVE_STATUS":true,"URI":"/contact_center/connector/?ID=linebridge"}""");

        var response = await app.PostFrameAsync(frame, Ct);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.StartsWith("/connector?ticket=", response.Headers.Location!.OriginalString);
        var session = Sessions(app).Open(TicketOf(response))!;
        Assert.Equal(new ConnectorPlacement("linebridge", 1), session.ConnectorPlacement);
        Assert.Equal(2, session.UserId);
        Assert.False(session.IsAdmin);
    }

    [Fact]
    public async Task Open_ReturnsNull_ForATamperedTicket_OrAnUninstalledPortal()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var ticket = TicketOf(await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 1), Ct));

        Assert.Null(Sessions(app).Open(ticket[..^2] + (ticket[^2] == 'A' ? "B" : "A") + ticket[^1]));
        Assert.Null(Sessions(app).Open("not-a-ticket"));
        Assert.NotNull(Sessions(app).Open(ticket));

        app.Store.MarkUninstalled(app.Portal.MemberId);
        Assert.Null(Sessions(app).Open(ticket));
    }

    public static TheoryData<string, string?, HttpStatusCode, string> ForgedFramePosts => new()
    {
        { "AUTH_ID", "forged-token", HttpStatusCode.Unauthorized, "refused AUTH_ID" },
        { "AUTH_ID", null, HttpStatusCode.BadRequest, "AUTH_ID" },
        { "member_id", "0123456789abcdef0123456789abcdef", HttpStatusCode.NotFound, "not installed" },
        { "APPLICATION_TOKEN", "forged-application-token", HttpStatusCode.Unauthorized, "APPLICATION_TOKEN" },
        { "DOMAIN", "evil.example/x", HttpStatusCode.BadRequest, "DOMAIN" },
    };

    [Theory]
    [MemberData(nameof(ForgedFramePosts))]
    public async Task ForgedFrame_IsRefusedWithAClearError_AndIssuesNoTicket(string field, string? value, HttpStatusCode status, string message)
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var before = app.Store.Find(app.Portal.MemberId);

        var response = await app.PostFrameAsync("placement", app.Portal.BuildFramePost(userId: 1), new Dictionary<string, string?> { [field] = value }, Ct);

        Assert.Equal(status, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(before, app.Store.Find(app.Portal.MemberId));
    }

    [Fact]
    public async Task FrameFromAnotherPortal_CannotOpenASessionOnThisOne()
    {
        await using var app = await SandboxedApp.StartAsync(portals: 2, cancellationToken: Ct);
        await app.InstallAsync(app.Sandbox.Portals[1], Ct);
        var other = app.Sandbox.Portals[1].BuildFramePost(userId: 1);

        // A genuine AUTH_ID of portal 2, posted with portal 1's member_id and without REFRESH_ID.
        var response = await app.PostFrameAsync("placement", other, new Dictionary<string, string?>
        {
            ["member_id"] = app.Portal.MemberId, ["APPLICATION_TOKEN"] = null, ["REFRESH_ID"] = null,
        }, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task AdminFrame_ReauthorisesAPortalWhoseRefreshFailed()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        app.Store.MarkNeedsReauthorization(app.Portal.MemberId, "test: refresh refused");
        var ticket = TicketOf(await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 2), Ct));
        Assert.Equal(PortalState.NeedsReauthorization, await Sessions(app).GetStateAsync(Sessions(app).Open(ticket)!, Ct));

        var response = await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 1), Ct);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(PortalStatus.Installed, app.Store.Find(app.Portal.MemberId)!.Status);
        var info = await app.Clients.ForPortal(app.Portal.MemberId).App.InfoAsync(Ct);
        Assert.Equal(app.Sandbox.App.ClientId, info.Code);
    }

    [Fact]
    public async Task RefusedRefresh_MarksThePortal_AndAnAdminOpeningTheAppRestoresIt()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        // Someone else spends our stored refresh token (single-use), so our own refresh will be refused.
        var stolen = app.Store.Find(app.Portal.MemberId)!.RefreshToken!;
        var spent = await app.Http.GetAsync(new Uri(app.Portal.BaseUri,
            $"oauth/token/?grant_type=refresh_token&client_id={Uri.EscapeDataString(app.Sandbox.App.ClientId)}" +
            $"&client_secret={Uri.EscapeDataString(app.Sandbox.App.ClientSecret)}&refresh_token={Uri.EscapeDataString(stolen)}"), Ct);
        Assert.Equal(HttpStatusCode.OK, spent.StatusCode);
        app.Portal.ExpireAccessTokens();
        var client = app.Clients.ForPortal(app.Portal.MemberId);

        var ex = await Assert.ThrowsAsync<LineBridge.Bitrix24.Bitrix24Exception>(() => client.App.InfoAsync(Ct));

        Assert.Equal(LineBridge.Bitrix24.Bitrix24Errors.ReauthorizationRequired, ex.ErrorCode);
        Assert.Equal(PortalStatus.NeedsReauthorization, app.Store.Find(app.Portal.MemberId)!.Status);

        var response = await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 1), Ct);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(PortalStatus.Installed, app.Store.Find(app.Portal.MemberId)!.Status);
        Assert.Equal(app.Sandbox.App.ClientId, (await client.App.InfoAsync(Ct)).Code);
    }
}
