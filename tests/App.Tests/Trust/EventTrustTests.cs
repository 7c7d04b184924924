using System.Globalization;
using System.Net;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Components.OpenLines;
using LineBridge.Events;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Replies;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Trust;

/// <summary>
/// Issue 11 cases 2 and 9, and the event order cases of issue 12 (items 6 and 11): events change state only once the
/// portal confirms them with the app's own tokens, whoever holds the application token. Run on both storage providers
/// (the event inbox is LiteDB's file, or PostgreSQL's shared table).
/// </summary>
public abstract class EventTrustTests(StorageProvider provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Now(TimeSpan offset = default) =>
        (DateTimeOffset.UtcNow + offset).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>The application token as an operator's browser receives it in the frame POST.</summary>
    private static string OperatorsCopyOfTheToken(SandboxedApp app) => app.Portal.BuildFramePost(userId: 2).Form["APPLICATION_TOKEN"];

    private static Dictionary<string, string> Forged(SandboxedApp app, string name, string? ts = null) => new()
    {
        ["event"] = name, ["event_handler_id"] = "1", ["ts"] = ts ?? Now(),
        ["auth[domain]"] = app.Portal.Domain, ["auth[member_id]"] = app.Portal.MemberId,
        ["auth[application_token]"] = OperatorsCopyOfTheToken(app),
    };

    private static EventInbox Inbox(SandboxedApp app) => app.Services.GetRequiredService<EventInbox>();

    private static async Task<InboxEvent> PostAndWaitForVerdictAsync(SandboxedApp app, Dictionary<string, string> fields)
    {
        var before = Inbox(app).ForPortal(app.Portal.MemberId).Select(e => e.Id).ToHashSet();
        using var response = await app.Http.PostAsync("events", new FormUrlEncodedContent(fields), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        InboxEvent? posted = null;
        await SandboxedApp.WaitUntilAsync(() =>
        {
            posted = Inbox(app).ForPortal(app.Portal.MemberId).FirstOrDefault(e => !before.Contains(e.Id) && e.State is InboxState.Applied or InboxState.Dropped);
            return posted is not null;
        }, "the posted event is confirmed or dropped", Line.Patience);
        return posted!;
    }

    /// <summary>Case 2: an operator reply forged with the operator's copy of the application token is not stored or forwarded.</summary>
    [Fact]
    public async Task Case2_ForgedOperatorReply_IsDropped_AndNeverReachesTheWebhook()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.With(Line.FastRetries), cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, receiver.Url, Ct);
        var chat = Line.ImChatId(app).ToString(CultureInfo.InvariantCulture);
        var customerMessage = app.Portal.Dialogs.First(d => d.ExternalChatId == Line.Chat).Messages[0].Id.ToString(CultureInfo.InvariantCulture);

        foreach (var (messageId, author) in new[] { ("999999", "1"), (customerMessage, "1") })
        {
            var fields = Forged(app, PortalEventNames.MessageAdd);
            fields["data[CONNECTOR]"] = Line.Connector;
            fields["data[LINE]"] = "1";
            fields["data[MESSAGES][0][im][chat_id]"] = chat;
            fields["data[MESSAGES][0][im][message_id]"] = messageId;
            fields["data[MESSAGES][0][message][user_id]"] = author;
            fields["data[MESSAGES][0][message][text]"] = "Please pay to account 1234";
            fields["data[MESSAGES][0][chat][id]"] = Line.Chat;

            var verdict = await PostAndWaitForVerdictAsync(app, fields);

            Assert.Equal(InboxState.Dropped, verdict.State);
        }
        Assert.Empty(receiver.Received);
        Assert.DoesNotContain(app.Services.GetRequiredService<MessageStore>().LoadDeliveries(100), _ => true);
    }

    /// <summary>The sandbox is honest about what an operator holds: every frame user receives the application token.</summary>
    [Fact]
    public async Task EveryFrameUser_ReceivesTheApplicationToken_AsOnARealPortal()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.Settings, cancellationToken: Ct);

        Assert.Equal(app.Portal.ApplicationToken, app.Portal.BuildFramePost(userId: 2).Form["APPLICATION_TOKEN"]);
        Assert.Equal(app.Portal.ApplicationToken, app.Portal.BuildFramePost(userId: 3).Form["APPLICATION_TOKEN"]);
        Assert.Equal(app.Store.Find(app.Portal.MemberId)!.ApplicationToken, app.Portal.ApplicationToken);
    }

    /// <summary>Case 2: a flood of forged events for one portal delays only that portal's confirmations, never another portal's events.</summary>
    [Fact]
    public async Task Case2_AFloodOfForgedEventsOnOnePortal_DoesNotHoldUpAnotherPortalsEvents()
    {
        // Two confirmations a minute (a burst of one, then one per 30 s): the flood's 8 batches of 50 take minutes to
        // confirm, so "most of it still waits" holds however slowly a busy machine delivers the other portal's reply.
        // At the default 12 a minute the flood drained in about 10 s, and a reply slower than that failed the test.
        const int perMinute = 2;
        var settings = new Dictionary<string, string?>(Line.FastRetries) { ["Events:ConfirmationsPerMinute"] = perMinute.ToString(CultureInfo.InvariantCulture) };
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(portals: 2, settings: storage.With(settings), cancellationToken: Ct);
        await app.InstallAsync(app.Sandbox.Portals[1], Ct);
        var other = app.Sandbox.Portals[1];
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, other, receiver.Url, Ct);

        var batchesBefore = app.Portal.Calls.Count(c => c.Method == "batch");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var flood = Enumerable.Range(0, 400).Select(async i =>
        {
            var fields = Forged(app, PortalEventNames.LineDelete);
            fields["data"] = (1000 + i).ToString(CultureInfo.InvariantCulture);
            using var answer = await app.Http.PostAsync("events", new FormUrlEncodedContent(fields), Ct);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        });
        await Task.WhenAll(flood);
        var imId = await other.OperatorReplyAsync(Line.Id, Line.Chat, "Hello from the quiet portal", operatorUserId: 2);

        await SandboxedApp.WaitUntilAsync(() => Line.Reply(app, other, imId) is { Status: MessageStatus.Sent }, "the other portal's reply is delivered", Line.Patience);
        // The flooded portal spends its own confirmation budget only: most of the flood is still waiting.
        Assert.True(Inbox(app).CountOpen(app.Portal.MemberId) > 0);
        var confirmations = app.Portal.Calls.Count(c => c.Method == "batch") - batchesBefore;
        // The budget's own bound: its burst (perMinute / 2, at least 1) plus one call per refill period of the time that passed.
        var bound = Math.Max(1, perMinute / 2) + (int)(clock.Elapsed / TimeSpan.FromMinutes(1.0 / perMinute)) + 1;
        Assert.True(confirmations <= bound, $"{confirmations} confirmation calls in {clock.Elapsed}, the budget allows {bound}");
    }

    /// <summary>Events of a portal whose tokens need re-authorisation wait for it, and are applied once an administrator re-opens the app.</summary>
    [Fact]
    public async Task EventsOfAPortalNeedingReauthorisation_WaitAndAreAppliedAfterwards()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.With(Line.FastRetries), cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, receiver.Url, Ct);
        app.Store.MarkNeedsReauthorization(app.Portal.MemberId, "test: refresh refused");

        var imId = await app.Portal.OperatorReplyAsync(Line.Id, Line.Chat, "Sent while LineBridge was locked out", operatorUserId: 2);
        await SandboxedApp.WaitUntilAsync(() => Inbox(app).ForPortal(app.Portal.MemberId).Any(e => e.Name == PortalEventNames.MessageAdd), "the event is received", Line.Patience);
        Assert.Equal(InboxState.Pending, Inbox(app).ForPortal(app.Portal.MemberId).Single(e => e.Name == PortalEventNames.MessageAdd).State);

        Assert.Equal(HttpStatusCode.SeeOther, (await app.PostFrameAsync(app.Portal.BuildFramePost(userId: 1), Ct)).StatusCode);

        await SandboxedApp.WaitUntilAsync(() => Line.Reply(app, imId) is { Status: MessageStatus.Sent }, "the reply is delivered after re-authorisation", Line.Patience);
    }

    /// <summary>Case 2: a forged uninstall leaves the portal in service.</summary>
    [Fact]
    public async Task Case2_ForgedUninstall_IsDropped_AndThePortalStaysInstalled()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.With(Line.FastRetries), cancellationToken: Ct);
        var before = app.Store.Find(app.Portal.MemberId)!;
        var fields = Forged(app, PortalEventNames.AppUninstall);
        fields["data[CLEAN]"] = "1";

        var verdict = await PostAndWaitForVerdictAsync(app, fields);

        Assert.Equal(InboxState.Dropped, verdict.State);
        Assert.Contains("still confirms", verdict.Outcome);
        var after = app.Store.Find(app.Portal.MemberId)!;
        Assert.Equal(PortalStatus.Installed, after.Status);
        Assert.Equal(before.ApplicationToken, after.ApplicationToken);
    }

    /// <summary>Case 2: forged line and status deletes cut no line off.</summary>
    [Fact]
    public async Task Case2_ForgedLineAndStatusDeletes_AreDropped_AndTheLineStaysConnected()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.With(Line.FastRetries), cancellationToken: Ct);
        await app.Services.GetRequiredService<IOpenLineDirectory>().ConnectAsync(Line.Admin(app), Line.Id, Ct);
        var lines = app.Services.GetRequiredService<LineConnections>();
        Assert.Equal(LineConnectionState.Connected, lines.GetState(app.Portal.MemberId, Line.Id));

        var status = Forged(app, PortalEventNames.StatusDelete);
        status["data[connector]"] = Line.Connector;
        status["data[line]"] = "1";
        Assert.Equal(InboxState.Dropped, (await PostAndWaitForVerdictAsync(app, status)).State);
        var line = Forged(app, PortalEventNames.LineDelete);
        line["data"] = "1";
        Assert.Equal(InboxState.Dropped, (await PostAndWaitForVerdictAsync(app, line)).State);

        Assert.Equal(LineConnectionState.Connected, lines.GetState(app.Portal.MemberId, Line.Id));
    }

    /// <summary>Case 2: the same event can no longer be replayed, and old ones are refused.</summary>
    [Fact]
    public async Task Case2_ExactRepeats_AndEventsOlderThanTheWindow_AreRefused()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.Settings, cancellationToken: Ct);
        var fields = Forged(app, PortalEventNames.LineDelete);
        fields["data"] = "3";

        using var first = await app.Http.PostAsync("events", new FormUrlEncodedContent(fields), Ct);
        using var repeat = await app.Http.PostAsync("events", new FormUrlEncodedContent(fields), Ct);
        fields["ts"] = Now(-TimeSpan.FromHours(25));
        using var old = await app.Http.PostAsync("events", new FormUrlEncodedContent(fields), Ct);
        fields.Remove("ts");
        using var undated = await app.Http.PostAsync("events", new FormUrlEncodedContent(fields), Ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, repeat.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        Assert.Contains("older than 24 hours", await old.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, undated.StatusCode);
        Assert.Contains("ts", await undated.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Case 9: a portal that posts no APPLICATION_TOKEN at install still gets its events, confirmed with the portal.</summary>
    [Fact]
    public async Task Case9_PortalWithoutApplicationToken_HasItsEventsConfirmedAndApplied()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(install: false, settings: storage.With(Line.FastRetries), cancellationToken: Ct);
        var installed = await app.PostFrameAsync("install", app.Portal.BuildFramePost(userId: 1), new Dictionary<string, string?> { ["APPLICATION_TOKEN"] = null }, Ct);
        Assert.Equal(HttpStatusCode.OK, installed.StatusCode);
        app.Portal.FinishInstall();
        Assert.Null(app.Store.Find(app.Portal.MemberId)!.ApplicationToken);
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, receiver.Url, Ct);

        var imId = await app.Portal.OperatorReplyAsync(Line.Id, Line.Chat, "Hello from an older portal", operatorUserId: 2);

        await SandboxedApp.WaitUntilAsync(() => Line.Reply(app, imId) is { Status: MessageStatus.Sent }, "the reply is delivered", Line.Patience);
        Assert.Single(receiver.Received);
        Assert.All(app.Portal.EventDeliveries.Where(d => d.Done), d => Assert.Equal(200, d.Status));
    }

    /// <summary>Issue 12 item 6: an operator's edit that arrives before the reply itself is applied when the reply lands.</summary>
    [Fact]
    public async Task EditArrivingBeforeItsReply_IsAppliedWhenTheReplyLands()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.With(Line.FastRetries),
            configureSandbox: o => o.Switches.EventsOutOfOrder = true, cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, receiver.Url, Ct);

        int imId;
        using (app.Sandbox.HoldEvents())
        {
            imId = await app.Portal.OperatorReplyAsync(Line.Id, Line.Chat, "Your order ships Monday", operatorUserId: 2);
            // The portal links the message to an external id (as a delivery status does), so edits raise events.
            await app.Clients.ForPortal(app.Portal.MemberId).Connectors.SendDeliveryStatusAsync(new ConnectorStatusRequest(Line.Connector, Line.Id,
                [new ConnectorStatusMessage(new ConnectorImReference(Line.ImChatId(app).ToString(CultureInfo.InvariantCulture), imId.ToString(CultureInfo.InvariantCulture)),
                    new ConnectorStatusMessageBody(["early"], DateTimeOffset.UtcNow.ToUnixTimeSeconds()), new ConnectorChatReference(Line.Chat))]), Ct);
            await app.Portal.OperatorEditAsync(imId, "Your order ships Tuesday", operatorUserId: 2);
        }

        await SandboxedApp.WaitUntilAsync(() => Line.Reply(app, imId) is { Status: MessageStatus.Sent } r && r.Text.Contains("Tuesday", StringComparison.Ordinal),
            "the edit is applied after its reply", Line.Patience);
        var delivered = app.Portal.EventDeliveries.Where(d => d.Event.StartsWith("ONIMCONNECTORMESSAGE", StringComparison.Ordinal)).ToList();
        Assert.Equal("ONIMCONNECTORMESSAGEUPDATE", delivered.OrderBy(d => d.Completed).First().Event);
        await SandboxedApp.WaitUntilAsync(() => receiver.Received.Count >= 2, "both changes reach the webhook", Line.Patience);
        Assert.Equal([WebhookEventTypes.MessageCreated, WebhookEventTypes.MessageUpdated], receiver.Received.Take(2).Select(r => r.EventType));
    }

    /// <summary>Out of order: two edits delivered newest first leave the newest text.</summary>
    [Fact]
    public async Task EditsDeliveredNewestFirst_LeaveTheNewestText()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.With(Line.FastRetries),
            configureSandbox: o => o.Switches.EventsOutOfOrder = true, cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, receiver.Url, Ct);
        var imId = await app.Portal.OperatorReplyAsync(Line.Id, Line.Chat, "v1", operatorUserId: 2);
        await SandboxedApp.WaitUntilAsync(() => app.Portal.Dialogs.SelectMany(d => d.Messages).Any(m => m.Id == imId && m.ConnectorMid.Count > 0), "the reply is linked", Line.Patience);

        using (app.Sandbox.HoldEvents())
        {
            await app.Portal.OperatorEditAsync(imId, "v2", operatorUserId: 2);
            await app.Portal.OperatorEditAsync(imId, "v3", operatorUserId: 2);
        }

        await SandboxedApp.WaitUntilAsync(() => Inbox(app).ForPortal(app.Portal.MemberId).Count(e => e.Name == PortalEventNames.MessageUpdate && e.State is InboxState.Applied or InboxState.Dropped) == 2,
            "both edits are decided", Line.Patience);
        Assert.EndsWith("v3", Line.Reply(app, imId)!.Text, StringComparison.Ordinal);
    }

    /// <summary>A switch-off that arrives after the line was connected again is refuted by the portal.</summary>
    [Fact]
    public async Task LateSwitchOff_OfAReconnectedLine_IsRefutedByThePortal()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.With(Line.FastRetries), cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();
        await directory.ConnectAsync(Line.Admin(app), Line.Id, Ct);
        using (app.Sandbox.HoldEvents())
        {
            app.Portal.DisableConnector(Line.Connector, Line.Id);
            await directory.ConnectAsync(Line.Admin(app), Line.Id, Ct);
        }

        await SandboxedApp.WaitUntilAsync(() => Inbox(app).ForPortal(app.Portal.MemberId).Any(e => e.Name == PortalEventNames.StatusDelete && e.State == InboxState.Dropped),
            "the switch-off is refuted", Line.Patience);
        Assert.Equal(LineConnectionState.Connected, app.Services.GetRequiredService<LineConnections>().GetState(app.Portal.MemberId, Line.Id));
    }

    /// <summary>Issue 12 item 11: the handler answers the portal at once, even when the portal itself is slow to answer LineBridge.</summary>
    [Fact]
    public async Task EventHandler_AnswersAtOnce_AndChecksWithThePortalAfterwards()
    {
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await SandboxedApp.StartAsync(settings: storage.With(Line.FastRetries), cancellationToken: Ct);
        await app.Services.GetRequiredService<IOpenLineDirectory>().ConnectAsync(Line.Admin(app), Line.Id, Ct);
        var slow = TimeSpan.FromSeconds(5);
        app.Sandbox.Faults.Set(new LineBridge.Sandbox.FaultSettings { Latency = slow });

        app.Portal.DisableConnector(Line.Connector, Line.Id);

        await SandboxedApp.WaitUntilAsync(() => app.Portal.EventDeliveries.Any(d => d.Event == "ONIMCONNECTORSTATUSDELETE" && d.Done), "the event is delivered", Line.Patience);
        var delivery = app.Portal.EventDeliveries.First(d => d.Event == "ONIMCONNECTORSTATUSDELETE");
        Assert.Equal(200, delivery.Status);
        Assert.True(delivery.Completed - delivery.Queued < slow, $"the handler took {delivery.Completed - delivery.Queued}");
        await SandboxedApp.WaitUntilAsync(() => app.Services.GetRequiredService<LineConnections>().GetState(app.Portal.MemberId, Line.Id) == LineConnectionState.Disconnected,
            "the confirmed switch-off is applied", Line.Patience);
    }
}

public sealed class EventTrustTestsOnLiteDb() : EventTrustTests(StorageProvider.LiteDb);

public sealed class EventTrustTestsOnPostgreSql() : EventTrustTests(StorageProvider.PostgreSql);
