using System.Net;
using System.Web;
using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using LineBridge.Components.Replies;
using LineBridge.Infrastructure;
using LineBridge.Placement;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Trust;

/// <summary>Issue 11 case 6: the frame ticket is a minutes-long, one-session key; sessions end; no referrer leaks.</summary>
public sealed class SessionTrustTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IPortalSessions Sessions(SandboxedApp app) => app.Services.GetRequiredService<IPortalSessions>();

    private static async Task<string> TicketAsync(SandboxedApp app, int userId)
    {
        var response = await app.PostFrameAsync(app.Portal.BuildFramePost(userId), Ct);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        return HttpUtility.ParseQueryString(response.Headers.Location!.OriginalString.Split('?', 2)[1])["ticket"]!;
    }

    [Fact]
    public void Case6_TheTicketLivesMinutes()
    {
        Assert.True(PlacementTickets.Lifetime <= TimeSpan.FromMinutes(5), $"{PlacementTickets.Lifetime}");
    }

    /// <summary>Case 6: an administrator's copied ticket, opened elsewhere after the frame's own session started, opens nothing.</summary>
    [Fact]
    public async Task Case6_ACopiedTicket_OpensNothing_OnceItsSessionStarted()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var ticket = await TicketAsync(app, userId: 1);
        var framed = Sessions(app).Open(ticket);
        Assert.NotNull(framed);

        Assert.Null(Sessions(app).Open(ticket));
        // The frame's own session keeps working.
        Assert.True(Sessions(app).IsCurrent(framed));
    }

    /// <summary>Case 6: a demoted administrator's open session loses its rights as soon as the portal reports the new role.</summary>
    [Fact]
    public async Task Case6_ADemotedAdministrator_LosesAdministratorActions()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var session = Sessions(app).Open(await TicketAsync(app, userId: 1))!;
        Assert.True(session.IsAdmin);

        app.Portal.SetAdmin(1, false);
        var demoted = Sessions(app).Open(await TicketAsync(app, userId: 1))!;

        Assert.False(demoted.IsAdmin);
        Assert.False(Sessions(app).IsCurrent(session));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            app.Services.GetRequiredService<IOpenLineDirectory>().RotateApiKeyAsync(session, Ct));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            app.Services.GetRequiredService<ILineWebhooks>().SetUrlAsync(session, Line.Id, "http://127.0.0.1:9/", Ct));
    }

    private static int AdminChecks(SandboxedApp app) => app.Portal.Calls.Count(c => c.Method == "user.admin");

    /// <summary>
    /// Case 6: a demoted administrator's next administrator action in the same open session is refused, before the
    /// app is opened again: the role is re-checked with the portal, and nothing changes.
    /// </summary>
    [Fact]
    public async Task Case6_ADemotedAdministrator_IsRefused_InTheSameOpenSession()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var session = Sessions(app).Open(await TicketAsync(app, userId: 1))!;
        Assert.True(session.IsAdmin);
        var webhooks = app.Services.GetRequiredService<ILineWebhooks>();
        var lines = app.Services.GetRequiredService<IOpenLineDirectory>();

        app.Portal.SetAdmin(1, false);
        var checksBefore = AdminChecks(app);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => webhooks.SetUrlAsync(session, Line.Id, "http://127.0.0.1:9/", Ct));
        Assert.True(AdminChecks(app) > checksBefore, "the portal was asked again");
        Assert.Null((await webhooks.GetAsync(session, Line.Id, Ct)).Url);
        // The negative answer ends the session's administrator rights at once: no further call is needed to refuse.
        Assert.False(Sessions(app).IsCurrent(session));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => lines.RotateApiKeyAsync(session, Ct));
        Assert.False((await lines.GetApiAccessAsync(session, Ct)).HasKey);
    }

    /// <summary>
    /// Case 6: an administrator who still is one succeeds, and a burst of administrator actions within
    /// <see cref="PortalSessions.AdminConfirmationLifetime"/> costs one <c>user.admin</c> call.
    /// </summary>
    [Fact]
    public async Task Case6_AnAdministrator_Succeeds_AndABurstCostsOneCheck()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var session = Sessions(app).Open(await TicketAsync(app, userId: 1))!;
        var webhooks = app.Services.GetRequiredService<ILineWebhooks>();
        var lines = app.Services.GetRequiredService<IOpenLineDirectory>();
        var checksBefore = AdminChecks(app);

        var set = await webhooks.SetUrlAsync(session, Line.Id, "http://127.0.0.1:9/hook", Ct);
        await webhooks.RotateSecretAsync(session, Line.Id, Ct);
        await Task.WhenAll(lines.RotateApiKeyAsync(session, Ct), lines.RotateApiKeyAsync(session, Ct));

        Assert.Equal("http://127.0.0.1:9/hook", set.Webhook.Url);
        Assert.True((await lines.GetApiAccessAsync(session, Ct)).HasKey);
        Assert.Equal(1, AdminChecks(app) - checksBefore);
        Assert.True(Sessions(app).IsCurrent(session));
    }

    /// <summary>
    /// Case 6: when the portal cannot answer the re-check (a passing fault), the action is not done and the user is told
    /// to try again, not that they are no administrator; the session stays, and the same action then succeeds.
    /// </summary>
    [Fact]
    public async Task Case6_APassingFaultDuringTheRecheck_SaysTryAgain_AndKeepsTheSession()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var session = Sessions(app).Open(await TicketAsync(app, userId: 1))!;
        var lines = app.Services.GetRequiredService<IOpenLineDirectory>();
        app.Sandbox.Faults.Set(new LineBridge.Sandbox.FaultSettings { ErrorRate = 1, Methods = ["user.current", "user.admin"] });

        var failure = await Assert.ThrowsAsync<LineBridge.Components.OperationFailedException>(() => lines.RotateApiKeyAsync(session, Ct));

        Assert.Contains("Try again", failure.Message);
        // Told in the user's language in the app (the message above is the English form, for logs and the API).
        Assert.Contains("Повторите через минуту", LineBridge.Components.Localization.Localizer.For("ru").Explain(failure));
        Assert.False((await lines.GetApiAccessAsync(session, Ct)).HasKey);
        Assert.True(Sessions(app).IsCurrent(session));
        app.Sandbox.Faults.Clear();
        Assert.StartsWith("lb_", await lines.RotateApiKeyAsync(session, Ct));
    }

    /// <summary>Case 6: an uninstall ends every session of the portal.</summary>
    [Fact]
    public async Task Case6_Uninstall_EndsTheSessions()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var session = Sessions(app).Open(await TicketAsync(app, userId: 1))!;

        app.Portal.UninstallApp();
        await SandboxedApp.WaitUntilAsync(() => app.Store.Find(app.Portal.MemberId)!.Status == PortalStatus.Uninstalled, "the uninstall is applied", Line.Patience);

        Assert.False(Sessions(app).IsCurrent(session));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            app.Services.GetRequiredService<IOpenLineDirectory>().RotateApiKeyAsync(session, Ct));
    }

    /// <summary>Case 6: pages and endpoints send <c>Referrer-Policy: no-referrer</c>.</summary>
    [Fact]
    public async Task Case6_EveryAnswer_SendsNoReferrer()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var ticket = await TicketAsync(app, userId: 1);

        foreach (var response in new[]
                 {
                     await app.Http.GetAsync($"lines?ticket={Uri.EscapeDataString(ticket)}", Ct),
                     await app.Http.GetAsync("", Ct),
                     await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 1), Ct),
                 })
        {
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        }
    }
}
