using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using LineBridge.Infrastructure;
using LineBridge.Replies;
using LineBridge.Storage;

namespace LineBridge.Trust;

/// <summary>
/// Issue 11, cases 1, 3, 4 and 10: what a portal user (or anyone) can post to <c>/install</c> and <c>/placement</c>.
/// Users: 1 = administrator, 2 = operator. Every frame field the operator's browser gets is theirs to replay.
/// </summary>
public sealed class InstallTrustTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Case 1: an operator replays their own frame fields to <c>/install</c> with a made-up application token.</summary>
    [Fact]
    public async Task Case1_OperatorInstall_IsRefused_AndChangesNothing()
    {
        await using var app = await SandboxedApp.StartAsync(settings: Line.FastRetries, cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, receiver.Url, Ct);
        var before = app.Store.Find(app.Portal.MemberId)!;
        var bindings = app.Portal.EventBindings.Count;

        var response = await app.PostFrameAsync("install", app.Portal.BuildFramePost(userId: 2),
            new Dictionary<string, string?> { ["APPLICATION_TOKEN"] = "made-up-application-token" }, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("administrator", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(before, app.Store.Find(app.Portal.MemberId));
        Assert.Equal(bindings, app.Portal.EventBindings.Count);

        // The portal's genuine events still get through: an operator's reply reaches the webhook.
        var imId = await app.Portal.OperatorReplyAsync(Line.Id, Line.Chat, "Still here", operatorUserId: 2);
        await SandboxedApp.WaitUntilAsync(() => Line.Reply(app, imId) is { Status: Components.Messages.MessageStatus.Sent }, "the reply is delivered", Line.Patience);
        Assert.Single(receiver.Received);
        Assert.All(app.Portal.EventDeliveries.Where(d => d.Done), d => Assert.Equal(200, d.Status));
    }

    /// <summary>Case 1, second half: the administrator's genuine fields with a changed application token.</summary>
    [Fact]
    public async Task Case1_AdminInstallWithAnotherApplicationToken_IsRefused_WhileThePortalConfirmsTheInstallation()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var before = app.Store.Find(app.Portal.MemberId)!;
        var bindings = app.Portal.EventBindings.Count;

        var response = await app.PostFrameAsync("install", app.Portal.BuildFramePost(userId: 1),
            new Dictionary<string, string?> { ["APPLICATION_TOKEN"] = "made-up-application-token" }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("APPLICATION_TOKEN", await response.Content.ReadAsStringAsync(Ct));
        var after = app.Store.Find(app.Portal.MemberId)!;
        Assert.Equal(before.ApplicationToken, after.ApplicationToken);
        Assert.Equal(before.RefreshToken, after.RefreshToken);
        Assert.Equal(bindings, app.Portal.EventBindings.Count);
    }

    /// <summary>A genuine re-install after an uninstall whose event never arrived: the portal refuses the old tokens, so the new application token is taken.</summary>
    [Fact]
    public async Task ReinstallAfterALostUninstallEvent_TakesTheNewApplicationToken()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var installed = app.Store.Find(app.Portal.MemberId)!;
        app.Portal.UninstallApp();
        await SandboxedApp.WaitUntilAsync(() => app.Store.Find(app.Portal.MemberId)!.Status == PortalStatus.Uninstalled, "the uninstall is applied");
        // As if the ONAPPUNINSTALL delivery had been lost: LineBridge still holds the old installation.
        app.Store.Save(installed);

        await app.InstallAsync(app.Portal, Ct);

        Assert.Equal(app.Portal.ApplicationToken, app.Store.Find(app.Portal.MemberId)!.ApplicationToken);
        Assert.Equal(PortalStatus.Installed, app.Store.Find(app.Portal.MemberId)!.Status);
    }

    /// <summary>Case 3: a flood of unauthenticated installs naming a portal's member_id and an unreachable DOMAIN.</summary>
    [Fact]
    public async Task Case3_InstallFloodWithAKnownMemberId_DoesNotSlowThePortalsDeliveries()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Components.OpenLines.IOpenLineDirectory>(app.Services).ConnectAsync(Line.Admin(app), Line.Id, Ct);
        var key = await ApiKeyAsync(app);
        var callsBefore = app.Portal.Calls.Count;
        var frame = app.Portal.BuildFramePost(userId: 1);

        var flood = Enumerable.Range(0, 60).Select(_ => app.PostFrameAsync("install", frame, new Dictionary<string, string?>
        {
            ["DOMAIN"] = "127.0.0.1:9", ["AUTH_ID"] = "x", ["REFRESH_ID"] = "x", ["APPLICATION_TOKEN"] = "x",
        }, Ct)).ToList();
        // Meanwhile the portal's real traffic: one message through the external API.
        var clock = Stopwatch.StartNew();
        using var send = new HttpRequestMessage(HttpMethod.Post, "api/v1/lines/1/messages")
        {
            Content = JsonContent.Create(new { messages = new[] { new { user = new { id = "u1", name = "Uma" }, chat = new { id = "c1" }, message = new { id = "m1", text = "hello" } } } }),
        };
        send.Headers.Authorization = new("Bearer", key);
        using var accepted = await app.Http.SendAsync(send, Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await SandboxedApp.WaitUntilAsync(() => app.Portal.Dialogs.Any(d => d.Messages.Any(m => m.Text == "hello")), "the message reaches the portal", Line.Patience);
        var delivered = clock.Elapsed;

        var answers = await Task.WhenAll(flood);
        Assert.All(answers, a => Assert.True((int)a.StatusCode is 401 or 403 or 429, $"{(int)a.StatusCode}"));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.All(answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests), a => Assert.NotNull(a.Headers.RetryAfter));
        // None of the flood reached the portal: the only new REST calls are the line's and the message's.
        Assert.DoesNotContain(app.Portal.Calls.Skip(callsBefore), c => c.Method is "app.info" or "user.current" or "user.admin");
        // Old code queued 180 attempts behind the portal's limiter (about 30 s at 2 req/s before this message).
        Assert.True(delivered < TimeSpan.FromSeconds(20), $"delivery took {delivered}");
    }

    /// <summary>Case 4: <c>/placement</c> and <c>/install</c> with DOMAIN set to any host:port never call it, and answer the same whether it listens or not.</summary>
    [Fact]
    public async Task Case4_PostedDomain_IsNeverCalled_AndTheAnswerDoesNotTellWhetherItListens()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        using var listening = new CountingListener();
        var bodies = new List<string>();
        foreach (var domain in new[] { $"127.0.0.1:{listening.Port}", "127.0.0.1:9" })
        {
            foreach (var path in new[] { "placement", "install" })
            {
                // An operator's genuine fields, DOMAIN changed.
                var response = await app.PostFrameAsync(path, app.Portal.BuildFramePost(userId: 2), new Dictionary<string, string?> { ["DOMAIN"] = domain }, Ct);
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
                bodies.Add(problem.GetProperty("detail").GetString()!.Replace(domain, "", StringComparison.Ordinal));
            }
        }
        Assert.Equal(0, listening.Connections);
        Assert.Equal(bodies[0], bodies[2]);
        Assert.Equal(bodies[1], bodies[3]);
    }

    /// <summary>Case 4, second half: another portal's REFRESH_ID posted with this portal's member_id is not spent.</summary>
    [Fact]
    public async Task Case4_AnotherPortalsRefreshId_IsNotSpent_OnAMismatchedPlacement()
    {
        await using var app = await SandboxedApp.StartAsync(portals: 2, cancellationToken: Ct);
        await app.InstallAsync(app.Sandbox.Portals[1], Ct);
        var other = app.Sandbox.Portals[1].BuildFramePost(userId: 1);
        var oauthBefore = app.OAuth.Count;

        var response = await app.PostFrameAsync("placement", other, new Dictionary<string, string?>
        {
            ["member_id"] = app.Portal.MemberId, ["DOMAIN"] = app.Portal.Domain, ["APPLICATION_TOKEN"] = null,
        }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(oauthBefore, app.OAuth.Count);
        // The posted REFRESH_ID still works for its owner.
        var refresh = await app.Http.GetAsync(new Uri(app.Portal.BaseUri,
            $"oauth/token/?grant_type=refresh_token&client_id={Uri.EscapeDataString(app.Sandbox.App.ClientId)}" +
            $"&client_secret={Uri.EscapeDataString(app.Sandbox.App.ClientSecret)}&refresh_token={Uri.EscapeDataString(other.Form["REFRESH_ID"])}"), Ct);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }

    /// <summary>Case 10: <c>/placement</c> with a changed DOMAIN from an operator neither calls that DOMAIN nor stores the operator's tokens.</summary>
    [Fact]
    public async Task Case10_PlacementWithAnotherDomain_CallsNothingThere_AndStoresNoOperatorTokens()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        using var listening = new CountingListener();
        var before = app.Store.Find(app.Portal.MemberId)!;

        var response = await app.PostFrameAsync("placement", app.Portal.BuildFramePost(userId: 2),
            new Dictionary<string, string?> { ["DOMAIN"] = $"127.0.0.1:{listening.Port}" }, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal(0, listening.Connections);
        Assert.Equal(before, app.Store.Find(app.Portal.MemberId));
    }

    /// <summary>Case 10: the portal's own address from an operator opens the app but never replaces the stored pair.</summary>
    [Fact]
    public async Task Case10_OperatorPlacement_OnANeedsReauthorisationPortal_StoresNothing()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        app.Store.MarkNeedsReauthorization(app.Portal.MemberId, "test: refresh refused");
        var before = app.Store.Find(app.Portal.MemberId)!;

        var response = await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 2), Ct);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(before, app.Store.Find(app.Portal.MemberId));
    }

    private static async Task<string> ApiKeyAsync(SandboxedApp app)
    {
        var keys = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Messages.ApiKeys>(app.Services);
        return await keys.RotateAsync(app.Portal.MemberId, Ct);
    }
}
