using System.Text.Json;
using System.Text.Json.Nodes;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Localization;
using LineBridge.Components.Messages;
using LineBridge.Components.Portal;
using LineBridge.Components.Replies;
using LineBridge.Infrastructure;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Replies;

/// <summary>
/// Operator replies end to end: the real app and the sandbox portal over loopback, the sandbox's operator answering
/// in a line, and <see cref="WebhookReceiver"/> playing the external system.
/// </summary>
public sealed class ReplyDispatcherTests
{
    private const string Connector = "linebridge";
    private const int Line = 1;
    private const string Chat = "chat-1";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Replies:InitialBackoff"] = "00:00:00.2",
        ["Replies:MaxBackoff"] = "00:00:01",
        ["Replies:PollInterval"] = "00:00:00.2",
    };

    [Fact]
    public async Task Reply_IsPostedSigned_AndThePortalMarksItDeliveredWithTheExternalId()
    {
        await using var app = await SandboxedApp.StartAsync(settings: FastRetries, cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        var secret = await ConnectAsync(app, receiver.Url);

        var imId = await app.Portal.OperatorReplyAsync(Line, Chat, "How can I help?", operatorUserId: 2);

        await WaitForConnectorMidAsync(app, imId, "ext-1");
        var call = Assert.Single(receiver.Received);
        Assert.Null(WebhookSignature.Verify(secret!, call.Signature, call.Timestamp, call.Body, DateTimeOffset.UtcNow));
        Assert.Equal(WebhookEventTypes.MessageCreated, call.EventType);
        var json = call.Json;
        Assert.Equal("message.created", json.GetProperty("type").GetString());
        Assert.Equal(Chat, json.GetProperty("chat").GetProperty("id").GetString());
        Assert.Equal(Line, json.GetProperty("line").GetInt32());
        Assert.Equal(imId.ToString(System.Globalization.CultureInfo.InvariantCulture), json.GetProperty("message").GetProperty("imMessageId").GetString());
        Assert.Contains("How can I help?", json.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal(call.Delivery, json.GetProperty("id").GetString());

        var status = Assert.Single(app.Portal.Calls, c => c.Method == "imconnector.send.status.delivery");
        Assert.Equal(200, status.Status);
        await SandboxedApp.WaitUntilAsync(() => Reply(app, imId) is { Status: MessageStatus.Sent }, "the reply shows as sent", Patience);
        var reply = Reply(app, imId)!;
        Assert.Equal(MessageDirection.Outgoing, reply.Direction);
        Assert.Equal("ext-1", reply.DeliveredAs);

        // The operator's reply sits in the message table beside the customer's message.
        var page = await app.Services.GetRequiredService<IMessageLog>().QueryAsync(Admin(app), new MessageQuery(Line, Chat), Ct);
        Assert.Equal([MessageDirection.Outgoing, MessageDirection.Incoming], page.Items.Select(m => m.Direction));
        Assert.Equal(MessageStatus.Sent, page.Items[0].Status);
    }

    [Fact]
    public async Task ReplyEvent_DeliveredTwice_IsStoredAndPostedOnce()
    {
        await using var app = await SandboxedApp.StartAsync(settings: FastRetries, cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        await ConnectAsync(app, receiver.Url);
        var first = await app.Portal.OperatorReplyAsync(Line, Chat, "first");
        await WaitForConnectorMidAsync(app, first, "ext-1");

        // The portal's queue gives no exactly-once promise: post the very same event again.
        var delivered = app.Portal.EventDeliveries.Single(d => d.Event == "ONIMCONNECTORMESSAGEADD");
        using var again = await app.Http.PostAsync("events", EventForm(app, delivered.Event, delivered.Data), Ct);
        // The same data with another ts is accepted and de-duplicated by the log; an exact repeat (same ts) is refused.
        Assert.True(again.IsSuccessStatusCode || again.StatusCode == System.Net.HttpStatusCode.Conflict, $"The repeated event got {(int)again.StatusCode}");
        // A later reply goes through the same queue, so once it arrives, a second copy of the first would have too.
        var second = await app.Portal.OperatorReplyAsync(Line, Chat, "second");
        await WaitForConnectorMidAsync(app, second, "ext-2");

        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(2, receiver.Received.Select(r => r.Json.GetProperty("message").GetProperty("imMessageId").GetString()).Distinct().Count());
        var log = await app.Services.GetRequiredService<IMessageLog>().QueryAsync(Admin(app), new MessageQuery(Line, Chat), Ct);
        Assert.Equal(2, log.Items.Count(m => m.Direction == MessageDirection.Outgoing));
        Assert.Equal(2, app.Portal.Calls.Count(c => c.Method == "imconnector.send.status.delivery"));
    }

    [Fact]
    public async Task WebhookDown_IsRetried_AndTheReplyIsDeliveredOnceItComesBack_AfterAnAppRestart()
    {
        await using var app = await SandboxedApp.StartAsync(settings: FastRetries, cancellationToken: Ct);
        var port = WebhookReceiver.ReservePort();
        var secret = await ConnectAsync(app, new Uri($"http://127.0.0.1:{port}/hook"));

        var imId = await app.Portal.OperatorReplyAsync(Line, Chat, "Are you there?");

        // Nothing listens: each attempt fails, is recorded with its reason, and is tried again.
        await SandboxedApp.WaitUntilAsync(() => Pending(app).Any(d => d.Attempts >= 2), "the delivery was retried", Patience);
        var failed = Reply(app, imId)!;
        Assert.Equal(MessageStatus.Failed, failed.Status);
        Assert.Contains("could not be reached", failed.FailureReason);

        await app.RestartAsync(FastRetries);
        await using var receiver = await WebhookReceiver.StartAsync(port);

        await WaitForConnectorMidAsync(app, imId, "ext-1");
        var call = Assert.Single(receiver.Received);
        Assert.Null(WebhookSignature.Verify(secret!, call.Signature, call.Timestamp, call.Body, DateTimeOffset.UtcNow));
        await SandboxedApp.WaitUntilAsync(() => Reply(app, imId) is { Status: MessageStatus.Sent, FailureReason: null }, "the reply shows as sent", Patience);
        await SandboxedApp.WaitUntilAsync(() => Pending(app).Count == 0, "the queue is empty", Patience);
    }

    [Fact]
    public async Task Reply_WaitsForAWebhook_AndGoesOnceAnAdministratorSetsOne()
    {
        await using var app = await SandboxedApp.StartAsync(settings: FastRetries, cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        await ConnectAsync(app, webhook: null);

        var imId = await app.Portal.OperatorReplyAsync(Line, Chat, "Hello?");
        await SandboxedApp.WaitUntilAsync(() => Reply(app, imId) is { Status: MessageStatus.Waiting }, "the reply waits for a webhook", Patience);
        var waiting = Reply(app, imId)!;
        // Waiting for an address, not failed, and it says where an administrator sets one; no attempt is counted.
        var reason = Localizer.PlainEnglish(waiting.FailureReason);
        Assert.Contains("Waiting for an address", reason);
        Assert.Contains("Replies to the external system", reason);
        Assert.DoesNotContain("Retrying", reason);
        Assert.All(Pending(app), d => Assert.Equal(0, d.Attempts));

        await app.Services.GetRequiredService<ILineWebhooks>().SetUrlAsync(Admin(app), Line, receiver.Url.AbsoluteUri, Ct);

        await WaitForConnectorMidAsync(app, imId, "ext-1");
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task OperatorEditAndDelete_AreRecordedAsVersions_AndForwarded()
    {
        await using var app = await SandboxedApp.StartAsync(settings: FastRetries, cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        var secret = await ConnectAsync(app, receiver.Url);
        var imId = await app.Portal.OperatorReplyAsync(Line, Chat, "Teh answer");
        await WaitForConnectorMidAsync(app, imId, "ext-1");

        // The reply belongs to the operator: LineBridge's own editor leaves it alone.
        var refused = await app.Services.GetRequiredService<IMessageEditor>().EditAsync(Admin(app), Reply(app, imId)!.Id.ToString(), 1, "hijacked", Ct);
        Assert.IsType<EditOutcome.Rejected>(refused);

        await app.Portal.OperatorEditAsync(imId, "The answer");
        await SandboxedApp.WaitUntilAsync(() => receiver.Received.Count == 2, "the edit reached the webhook", Patience);
        var edit = receiver.Received.ElementAt(1);
        Assert.Null(WebhookSignature.Verify(secret!, edit.Signature, edit.Timestamp, edit.Body, DateTimeOffset.UtcNow));
        Assert.Equal("message.updated", edit.Json.GetProperty("type").GetString());
        Assert.Contains("The answer", edit.Json.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal(["ext-1"], edit.Json.GetProperty("message").GetProperty("externalIds").EnumerateArray().Select(e => e.GetString()));
        await SandboxedApp.WaitUntilAsync(() => Reply(app, imId) is { Version: 2, Status: MessageStatus.Sent }, "the edit shows as sent", Patience);
        Assert.Contains("The answer", Reply(app, imId)!.Text);

        await app.Portal.OperatorDeleteAsync(imId);
        await SandboxedApp.WaitUntilAsync(() => receiver.Received.Count == 3, "the delete reached the webhook", Patience);
        var delete = receiver.Received.ElementAt(2);
        Assert.Equal("message.deleted", delete.Json.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, delete.Json.GetProperty("message").GetProperty("text").ValueKind);
        await SandboxedApp.WaitUntilAsync(() => Reply(app, imId) is { Status: MessageStatus.Deleted }, "the reply shows as deleted", Patience);

        var record = Reply(app, imId)!;
        var history = app.Services.GetRequiredService<MessageStore>().GetVersions(app.Portal.MemberId, record.Id);
        Assert.Equal([ChangeKind.Send, ChangeKind.Edit, ChangeKind.Delete], history.Select(v => v.Kind));
        Assert.Equal([MessageStatus.Sent, MessageStatus.Sent, MessageStatus.Deleted], history.Select(v => v.Status));
    }

    [Fact]
    public async Task Delivery_IsGivenUp_AfterMaxAttempts_WithTheLastReasonShown()
    {
        await using var app = await SandboxedApp.StartAsync(
            settings: new Dictionary<string, string?>(FastRetries) { ["Replies:MaxAttempts"] = "2" }, cancellationToken: Ct);
        await ConnectAsync(app, new Uri($"http://127.0.0.1:{WebhookReceiver.ReservePort()}/hook"));

        var imId = await app.Portal.OperatorReplyAsync(Line, Chat, "Anyone?");

        await SandboxedApp.WaitUntilAsync(() => Reply(app, imId) is not null && Pending(app).Count == 0, "the delivery is given up", Patience);
        var reply = Reply(app, imId)!;
        Assert.Equal(MessageStatus.Failed, reply.Status);
        Assert.StartsWith("Gave up after 2 attempts", Localizer.PlainEnglish(reply.FailureReason));
        var version = Assert.Single(app.Services.GetRequiredService<MessageStore>().GetVersions(app.Portal.MemberId, reply.Id));
        Assert.Equal(MessageStatus.Failed, version.Status);
        Assert.DoesNotContain(app.Portal.Calls, c => c.Method == "imconnector.send.status.delivery");
    }

    [Fact]
    public void Backoff_GrowsExponentially_WithJitter_UpToTheCap()
    {
        var options = new ReplyOptions { InitialBackoff = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromMinutes(10) };

        for (var i = 0; i < 50; i++)
        {
            var first = ReplyDispatcher.Backoff(1, options);
            var fourth = ReplyDispatcher.Backoff(4, options);
            var late = ReplyDispatcher.Backoff(40, options);
            Assert.InRange(first, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(5));
            Assert.InRange(fourth, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40));
            Assert.InRange(late, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));
        }
        Assert.True(Enumerable.Range(0, 20).Select(_ => ReplyDispatcher.Backoff(4, options)).Distinct().Count() > 1, "no jitter");
    }

    // ---- helpers ----

    /// <summary>Connects the line, opens a dialog with a customer message, and sets the webhook; returns its secret.</summary>
    private static async Task<string?> ConnectAsync(SandboxedApp app, Uri? webhook)
    {
        var connectors = app.Clients.ForPortal(app.Portal.MemberId).Connectors;
        await connectors.ActivateAsync(Connector, Line, active: true, Ct);
        await connectors.SetConnectorDataAsync(Connector, Line, new ConnectorData { Id = "linebridge", Name = "LineBridge" }, Ct);
        await connectors.SendMessagesAsync(new ConnectorMessagesRequest(Connector, Line,
            [new ConnectorMessage(new ConnectorUser { Id = "customer-1", Name = "Carl" }, new ConnectorMessageBody { Id = "m1", Text = "Hi" }, new ConnectorChat { Id = Chat })]), Ct);
        // The customer's message enters the log the way the external API would record it.
        app.Services.GetRequiredService<MessageStore>().ImportDelivered(
            [new NewMessage(app.Portal.MemberId, Connector, Line,
                new ConnectorMessage(new ConnectorUser { Id = "customer-1" }, new ConnectorMessageBody { Id = "m1", Text = "Hi" }, new ConnectorChat { Id = Chat }))],
            DateTime.UtcNow.AddMinutes(-1));
        if (webhook is null) return null;
        var change = await app.Services.GetRequiredService<ILineWebhooks>().SetUrlAsync(Admin(app), Line, webhook.AbsoluteUri, Ct);
        return change.NewSecret;
    }

    private static PortalSession Admin(SandboxedApp app) => new()
    {
        MemberId = app.Portal.MemberId, PortalDomain = app.Portal.Domain, UserId = 1, UserName = "Anna Admin", IsAdmin = true,
        Language = "en", Placement = "DEFAULT", Ticket = "test",
    };

    private static MessageRecord? Reply(SandboxedApp app, int imId) =>
        app.Services.GetRequiredService<MessageStore>().FindReply(app.Portal.MemberId, Line, Chat, imId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static IReadOnlyList<ReplyDelivery> Pending(SandboxedApp app) =>
        app.Services.GetRequiredService<MessageStore>().LoadDeliveries(100);

    private static Task WaitForConnectorMidAsync(SandboxedApp app, int imId, string externalId) =>
        SandboxedApp.WaitUntilAsync(
            () => app.Portal.Dialogs.SelectMany(d => d.Messages).Any(m => m.Id == imId && m.ConnectorMid.Contains(externalId)),
            $"the portal links message {imId} to {externalId}", Patience);

    /// <summary>An event as the portal posts it: the recorded <c>data</c> flattened into bracket keys, plus auth.</summary>
    private static FormUrlEncodedContent EventForm(SandboxedApp app, string eventName, string dataJson)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("event", eventName),
            new("ts", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("auth[member_id]", app.Portal.MemberId),
            new("auth[domain]", app.Portal.Domain),
            new("auth[application_token]", app.Portal.ApplicationToken!),
        };
        Flatten("data", JsonNode.Parse(dataJson), fields);
        return new FormUrlEncodedContent(fields);
    }

    private static void Flatten(string key, JsonNode? node, List<KeyValuePair<string, string>> fields)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) Flatten($"{key}[{k}]", v, fields);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) Flatten($"{key}[{i}]", a[i], fields);
                break;
            case null:
                break;
            default:
                fields.Add(new(key, node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString()));
                break;
        }
    }
}
