using LineBridge.Components.Messages;
using LineBridge.Replies;

namespace LineBridge.Storage.Contracts;

/// <summary>What every provider's operator reply store (<see cref="IReplyStore"/>) must do.</summary>
public abstract class ReplyStoreContract(StorageProvider provider)
{
    private static readonly DateTime Later = new(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static ReplyEvent Reply(ReplyChange change, string imMessageId, string? text) => new()
    {
        Change = change, Line = 1, ImChatId = "77", ImMessageId = imMessageId, ChatId = "chat-1", Text = text, OperatorId = "5",
    };

    private static Func<MessageRecord, ReplyDelivery> Delivery(string type) => record => new ReplyDelivery
    {
        EventId = $"{record.Id}-v{record.Version}", EventType = type, MemberId = record.MemberId, Connector = record.Connector,
        Line = record.Line, MessageId = record.Id, Version = record.Version, Body = "{}",
    };

    [Fact]
    public async Task AReply_IsRecordedOnce_WithItsDelivery_AndItsEditQueuesAnother()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();

        var added = store.AddReply(Sample.MemberId, "linebridge", Reply(ReplyChange.Created, "901", "Добрый день"), "Operator #5", Delivery(WebhookEventTypes.MessageCreated));
        var again = store.AddReply(Sample.MemberId, "linebridge", Reply(ReplyChange.Created, "901", "Добрый день"), "Operator #5", Delivery(WebhookEventTypes.MessageCreated));
        var edited = store.ChangeReply(Sample.MemberId, Reply(ReplyChange.Updated, "901", "Добрый вечер"), "Operator", Delivery(WebhookEventTypes.MessageUpdated));
        var unknown = store.ChangeReply(Sample.MemberId, Reply(ReplyChange.Updated, "999", "x"), "Operator", Delivery(WebhookEventTypes.MessageUpdated));

        Assert.False(added.Duplicate);
        Assert.True(again.Duplicate);
        Assert.Equal(added.Record.Id, again.Record.Id);
        Assert.False(edited!.Duplicate);
        Assert.Null(unknown);
        var reply = store.FindReply(Sample.MemberId, 1, "chat-1", "901")!;
        Assert.Equal((MessageDirection.Outgoing, "Добрый вечер", 2, "im:901"), (reply.Direction, reply.Text, reply.Version, reply.ExternalMessageId));
        var deliveries = store.LoadDeliveries(Sample.MemberId, 10);
        Assert.Equal([WebhookEventTypes.MessageCreated, WebhookEventTypes.MessageUpdated], deliveries.Select(d => d.EventType));
        Assert.All(deliveries, d => Assert.Equal(DeliveryStage.Webhook, d.Stage));
        Assert.Equal([Sample.MemberId], store.PortalsWithDeliveries());
        Assert.Equal(deliveries[1].Id, store.GetDelivery(deliveries[1].Id)!.Id);
        Assert.Single(store.QueryPage(Sample.MemberId, new MessageQuery(1, Text: "вечер")).Items);
    }

    [Fact]
    public async Task Deliveries_MoveFromWebhookToPortalStatus_FailWithTheReason_AndWaitForAnAddress()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var id = store.AddReply(Sample.MemberId, "linebridge", Reply(ReplyChange.Created, "901", "hi"), "Operator", Delivery(WebhookEventTypes.MessageCreated)).Record.Id;
        var delivery = store.LoadDeliveries(Sample.MemberId, 10).Single();   // the holder records outcomes

        var waiting = store.WaitForAddress(delivery, "No webhook is set for line 1.", Later);
        var waitingAgain = store.WaitForAddress(delivery, "No webhook is set for line 1.", Later);
        var failed = store.FailDelivery(delivery, "HTTP 500", Later);
        var sent = store.CompleteWebhook(store.GetDelivery(delivery.Id)!, "HTTP 200", "ext-1");

        Assert.Equal(MessageStatus.Waiting, waiting!.Status);
        Assert.Null(waitingAgain);
        Assert.Equal((MessageStatus.Failed, "HTTP 500"), (failed!.Status, failed.FailureReason));
        Assert.Equal((MessageStatus.Sent, "ext-1", true), (sent!.Status, sent.DeliveredAs, sent.Delivered));
        var portalStatus = store.GetDelivery(delivery.Id)!;
        Assert.Equal((DeliveryStage.PortalStatus, "ext-1", 0), (portalStatus.Stage, portalStatus.ExternalId, portalStatus.Attempts));
        Assert.Equal(MessageStatus.Sent, store.GetVersions(Sample.MemberId, id)[0].Status);

        Assert.Null(store.FailDelivery(portalStatus, "HTTP 502", nextAttemptAt: null));   // given up; the message keeps its status
        Assert.Empty(store.LoadDeliveries(10));
        Assert.Equal(MessageStatus.Sent, store.Get(Sample.MemberId, id)!.Status);
    }
}

public sealed class ReplyStoreOnLiteDb() : ReplyStoreContract(StorageProvider.LiteDb);

public sealed class ReplyStoreOnPostgreSql() : ReplyStoreContract(StorageProvider.PostgreSql);
