using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LineBridge.Components.Messages;
using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using LineBridge.Hostile;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Isolation;

/// <summary>
/// Two installed portals on one app: nothing a portal holds (API key, ticket, UI session, application_token, frame
/// POST) reaches the other's lines, messages, keys or settings. Foreign ids answer exactly like ids that do not exist.
/// </summary>
public sealed class IsolationTests(TwoPortals fixture) : IClassFixture<TwoPortals>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PortalSession SessionA => TwoPortals.AdminSession(fixture.A.MemberId, fixture.A.Portal.Domain);

    [Theory]
    [InlineData("GET")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task ApiKeyOfA_OnBsMessage_Answers404LikeAnUnknownId_AndBsMessageIsUnchanged(string method)
    {
        var before = await fixture.SnapshotAsync();

        using var foreign = await ApiAsync(method, fixture.A.ApiKey, fixture.B.ChatId, fixture.B.MessageId);
        using var unknown = await ApiAsync(method, fixture.A.ApiKey, "no-such-chat", "no-such-message");

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // Same title and field: the answer does not tell a foreign id from a missing one.
        var (foreignTitle, foreignField) = await ProblemAsync(foreign);
        Assert.Equal(await ProblemAsync(unknown), (foreignTitle, foreignField));
        Assert.Equal("messageId", foreignField);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task SameExternalIds_InBothPortals_AreTwoMessages_EachDeliveredToItsOwnPortalOnly()
    {
        using var fromA = await SendAsync(fixture.A.ApiKey, "same-chat", "same-1", "only for A");
        using var fromB = await SendAsync(fixture.B.ApiKey, "same-chat", "same-1", "only for B");

        // Idempotency is per portal: B's send is not mistaken for a repeat of A's.
        Assert.False((await fromA.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("results")[0].GetProperty("duplicate").GetBoolean());
        Assert.False((await fromB.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("results")[0].GetProperty("duplicate").GetBoolean());
        await SandboxedApp.WaitUntilAsync(() =>
            fixture.Store.FindByExternal(fixture.A.MemberId, TwoPortals.Line, "same-chat", "same-1")?.Status == MessageStatus.Sent &&
            fixture.Store.FindByExternal(fixture.B.MemberId, TwoPortals.Line, "same-chat", "same-1")?.Status == MessageStatus.Sent,
            "both messages are delivered");

        Assert.Equal("only for A", fixture.Store.FindByExternal(fixture.A.MemberId, TwoPortals.Line, "same-chat", "same-1")!.Text);
        Assert.Equal("only for B", fixture.Store.FindByExternal(fixture.B.MemberId, TwoPortals.Line, "same-chat", "same-1")!.Text);
        var textsInA = fixture.A.Portal.Dialogs.SelectMany(d => d.Messages).Select(m => m.Text).ToList();
        var textsInB = fixture.B.Portal.Dialogs.SelectMany(d => d.Messages).Select(m => m.Text).ToList();
        Assert.Contains(textsInA, t => t.Contains("only for A", StringComparison.Ordinal));
        Assert.DoesNotContain(textsInA, t => t.Contains("only for B", StringComparison.Ordinal));
        Assert.Contains(textsInB, t => t.Contains("only for B", StringComparison.Ordinal));
        Assert.DoesNotContain(textsInB, t => t.Contains("only for A", StringComparison.Ordinal));

        // Each key reads its own portal's copy under the same ids.
        using var readA = await ApiAsync("GET", fixture.A.ApiKey, "same-chat", "same-1");
        Assert.Equal("only for A", (await readA.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("text").GetString());
    }

    [Fact]
    public void TicketOfA_OpensASessionOfA_Only()
    {
        var sessions = fixture.App.Services.GetRequiredService<IPortalSessions>();

        Assert.Equal(fixture.A.MemberId, sessions.Open(fixture.A.Ticket)!.MemberId);
        Assert.Equal(fixture.B.MemberId, sessions.Open(fixture.B.Ticket)!.MemberId);
        Assert.NotEqual(fixture.A.Ticket, fixture.B.Ticket);
    }

    [Fact]
    public async Task MessageServices_WithASessionOfA_NeitherReadNorChangeBsMessages()
    {
        var log = fixture.App.Services.GetRequiredService<IMessageLog>();
        var editor = fixture.App.Services.GetRequiredService<IMessageEditor>();
        var before = await fixture.SnapshotAsync();

        Assert.Null(await log.GetAsync(SessionA, fixture.B.RecordId, Ct));
        Assert.Empty(await log.GetHistoryAsync(SessionA, fixture.B.RecordId, Ct));
        var page = await log.QueryAsync(SessionA, new MessageQuery(TwoPortals.Line, PageSize: 1000), Ct);
        Assert.NotEmpty(page.Items);
        Assert.DoesNotContain(page.Items, m => m.Id == fixture.B.RecordId || m.ChatId == fixture.B.ChatId);
        Assert.Empty((await log.QueryAsync(SessionA, new MessageQuery(TwoPortals.Line, ChatId: fixture.B.ChatId), Ct)).Items);

        Assert.IsType<EditOutcome.NotFound>(await editor.EditAsync(SessionA, fixture.B.RecordId, 1, "taken over", Ct));
        Assert.IsNotType<EditOutcome.Accepted>(await editor.RevertAsync(SessionA, fixture.B.RecordId, 1, 1, Ct));
        Assert.Empty(await editor.PreviewReplaceAsync(SessionA, TwoPortals.Line, fixture.B.ChatId, "Hello", "Bye", Ct));
        Assert.DoesNotContain(await editor.PreviewReplaceAsync(SessionA, TwoPortals.Line, null, "Hello", "Bye", Ct), p => p.Message.Id == fixture.B.RecordId);

        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task MessageUpdates_OfB_DoNotReachASubscriberOfA()
    {
        var updates = fixture.App.Services.GetRequiredService<IMessageUpdates>();
        var seenByA = new List<SentMessage>();
        var seenByB = new List<SentMessage>();
        using var subscriptionA = updates.Subscribe(fixture.A.MemberId, m => { lock (seenByA) seenByA.Add(m); return Task.CompletedTask; });
        using var subscriptionB = updates.Subscribe(fixture.B.MemberId, m => { lock (seenByB) seenByB.Add(m); return Task.CompletedTask; });

        using var sent = await SendAsync(fixture.B.ApiKey, "updates-chat", "updates-1", "news for B");
        await SandboxedApp.WaitUntilAsync(() => { lock (seenByB) return seenByB.Any(m => m.Status == MessageStatus.Sent); }, "B hears its message was delivered");

        lock (seenByA) Assert.DoesNotContain(seenByA, m => m.ChatId == "updates-chat");
    }

    [Fact]
    public async Task OpenLineDirectory_WithASessionOfA_TouchesOnlyA_AndRotatingAsKeyLeavesBsKeyWorking()
    {
        var directory = fixture.App.Services.GetRequiredService<IOpenLineDirectory>();
        var lines = fixture.App.Services.GetRequiredService<LineConnections>();
        // From quiet: an earlier case's work for B (a delivery, an event's confirmation) must not count as this one's.
        await fixture.App.WaitUntilQuietAsync();
        var callsOnB = fixture.B.Portal.Calls.Count;

        await directory.GetLinesAsync(SessionA, Ct);
        await directory.DisconnectAsync(SessionA, TwoPortals.Line, Ct);
        try
        {
            Assert.Equal(LineConnectionState.Disconnected, lines.GetState(fixture.A.MemberId, TwoPortals.Line));
            Assert.Equal(LineConnectionState.Connected, lines.GetState(fixture.B.MemberId, TwoPortals.Line));
            Assert.Contains(fixture.B.Portal.LineStatuses, s => s.Line == TwoPortals.Line && s.Active);
        }
        finally
        {
            await directory.ConnectAsync(SessionA, TwoPortals.Line, Ct);
        }

        fixture.A.ApiKey = await directory.RotateApiKeyAsync(SessionA, Ct);
        Assert.True((await directory.GetApiAccessAsync(SessionA, Ct)).HasKey);
        using var withB = await ApiAsync("GET", fixture.B.ApiKey, fixture.B.ChatId, fixture.B.MessageId);
        Assert.Equal(HttpStatusCode.OK, withB.StatusCode);
        using var withNewA = await ApiAsync("GET", fixture.A.ApiKey, fixture.A.ChatId, fixture.A.MessageId);
        Assert.Equal(HttpStatusCode.OK, withNewA.StatusCode);
        // None of it went to B's portal, not even later from the background (events the disconnect raised, say).
        await fixture.App.WaitUntilQuietAsync();
        Assert.Equal(callsOnB, fixture.B.Portal.Calls.Count);
    }

    [Theory]
    [InlineData("ONIMCONNECTORLINEDELETE")]
    [InlineData("ONIMCONNECTORSTATUSDELETE")]
    [InlineData("ONAPPUNINSTALL")]
    public async Task EventSignedWithAsApplicationToken_ClaimingBsMemberId_IsRefused_AndBIsUnchanged(string eventName)
    {
        var before = await fixture.SnapshotAsync();
        using var response = await fixture.Http.PostAsync("events", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["event"] = eventName,
            ["data"] = "1",
            ["data[connector]"] = "linebridge",
            ["data[line]"] = "1",
            ["auth[member_id]"] = fixture.B.MemberId,
            ["auth[domain]"] = fixture.B.Portal.Domain,
            ["auth[application_token]"] = HostileCases.AppToken(fixture, fixture.A),
        }), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(LineConnectionState.Connected, fixture.App.Services.GetRequiredService<LineConnections>().GetState(fixture.B.MemberId, TwoPortals.Line));
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Theory]
    [InlineData("member_id")]
    [InlineData("member_id+DOMAIN")]
    [InlineData("APPLICATION_TOKEN")]
    public async Task PlacementPost_MixingAsAuthWithBsIdentity_IssuesNoTicket(string mixed)
    {
        var changes = new Dictionary<string, string?>();
        if (mixed.Contains("member_id", StringComparison.Ordinal)) changes["member_id"] = fixture.B.MemberId;
        if (mixed.Contains("DOMAIN", StringComparison.Ordinal)) changes["DOMAIN"] = fixture.B.Portal.Domain;
        if (mixed == "APPLICATION_TOKEN") changes["APPLICATION_TOKEN"] = HostileCases.AppToken(fixture, fixture.B);
        var before = await fixture.SnapshotAsync();

        using var response = await fixture.App.PostFrameAsync("placement", fixture.A.Portal.BuildFramePost(userId: 1), changes, Ct);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Null(response.Headers.Location);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    private async Task<HttpResponseMessage> ApiAsync(string method, string key, string chatId, string messageId)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"api/v1/lines/{TwoPortals.Line}/chats/{chatId}/messages/{messageId}");
        if (method == "PATCH") request.Content = JsonContent.Create(new { text = "taken over" });
        request.Headers.Authorization = new("Bearer", key);
        return await fixture.Http.SendAsync(request, Ct);
    }

    private async Task<HttpResponseMessage> SendAsync(string key, string chatId, string messageId, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/lines/{TwoPortals.Line}/messages")
        {
            Content = JsonContent.Create(new { messages = new[] { new { user = new { id = "iso-user" }, chat = new { id = chatId }, message = new { id = messageId, text } } } }),
        };
        request.Headers.Authorization = new("Bearer", key);
        var response = await fixture.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response;
    }

    private static async Task<(string? Title, string? Field)> ProblemAsync(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (problem.GetProperty("title").GetString(), problem.GetProperty("field").GetString());
    }
}
