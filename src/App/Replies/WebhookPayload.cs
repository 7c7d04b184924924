using System.Text.Json;
using LineBridge.Storage;

namespace LineBridge.Replies;

/// <summary>The JSON bodies LineBridge POSTs to a line's webhook (documented in docs/webhooks.md).</summary>
public static class WebhookPayload
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A change of a reply, ready for the delivery queue; its body is fixed now so every attempt is identical.</summary>
    public static ReplyDelivery Delivery(MessageRecord record, ReplyEvent reply, string type, DateTimeOffset occurredAt)
    {
        var eventId = $"{record.Id}-v{record.Version}";
        var body = new
        {
            id = eventId,
            type,
            occurredAt,
            memberId = record.MemberId,
            connector = record.Connector,
            line = record.Line,
            chat = new { id = record.ChatId },
            message = new
            {
                id = record.Id.ToString(),
                version = record.Version,
                imChatId = reply.ImChatId,
                imMessageId = reply.ImMessageId,
                operatorId = reply.OperatorId,
                text = reply.Change == ReplyChange.Deleted ? null : reply.Text,
                files = reply.Files.Select(f => new { name = f.Name, link = f.Link, mime = f.Mime, size = f.Size }),
                externalIds = reply.ExternalIds.Count > 0 ? reply.ExternalIds : record.DeliveredAs is { } ext ? [ext] : [],
            },
        };
        return new ReplyDelivery
        {
            EventId = eventId,
            EventType = type,
            MemberId = record.MemberId,
            Connector = record.Connector,
            Line = record.Line,
            MessageId = record.Id,
            Version = record.Version,
            Body = JsonSerializer.Serialize(body, Json),
        };
    }

    /// <summary>A ping to check a webhook and its secret; receivers should answer 2xx and do nothing.</summary>
    public static string Ping(string memberId, int line, DateTimeOffset occurredAt) => JsonSerializer.Serialize(new
    {
        id = "ping-" + Guid.NewGuid().ToString("N"),
        type = WebhookEventTypes.Ping,
        occurredAt,
        memberId,
        line,
    }, Json);
}
