using System.Globalization;
using LineBridge.Events;
using LineBridge.Install;
using LineBridge.Storage;
using Microsoft.Extensions.Options;

namespace LineBridge.Replies;

/// <summary>
/// Takes operators' replies (<c>ONIMCONNECTORMESSAGEADD</c>) and their edits and deletes (<c>...UPDATE</c>,
/// <c>...DELETE</c>) for our connector: stores each in the message log with its webhook delivery, and wakes the
/// <see cref="ReplyDispatcher"/>. Events reach it confirmed by the portal (the message read back), so a change to a
/// reply not stored yet means its creation is still on the way: the change waits (<see cref="EventNotReadyException"/>).
/// </summary>
public sealed class ReplyEventsHandler(
    MessageStore store, ReplySignal signal, IOptions<Bitrix24AppOptions> app, TimeProvider time,
    ILogger<ReplyEventsHandler> logger) : IPortalEventHandler
{
    public bool Handles(string eventName) =>
        eventName is PortalEventNames.MessageAdd or PortalEventNames.MessageUpdate or PortalEventNames.MessageDelete;

    public Task HandleAsync(PortalEvent portalEvent, CancellationToken cancellationToken = default)
    {
        // Only the connector's owner gets these events, but one app could own several connectors one day.
        if (!string.Equals(portalEvent.Data("CONNECTOR"), app.Value.ConnectorId, StringComparison.Ordinal)) return Task.CompletedTask;
        var stored = false;
        try
        {
            foreach (var reply in Parse(portalEvent))
            {
                stored |= Store(portalEvent.MemberId, reply);
            }
        }
        finally
        {
            if (stored) signal.Notify();
        }
        return Task.CompletedTask;
    }

    /// <summary>The replies an event carries; elements missing their ids are skipped (nothing could address them).</summary>
    public static IReadOnlyList<ReplyEvent> Parse(PortalEvent portalEvent)
    {
        var change = portalEvent.Name switch
        {
            PortalEventNames.MessageAdd => ReplyChange.Created,
            PortalEventNames.MessageUpdate => ReplyChange.Updated,
            PortalEventNames.MessageDelete => ReplyChange.Deleted,
            _ => throw new ArgumentException($"{portalEvent.Name} is not a connector message event.", nameof(portalEvent)),
        };
        if (!int.TryParse(portalEvent.Data("LINE"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var line)) return [];

        var replies = new List<ReplyEvent>();
        for (var i = 0; ; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            var imMessageId = portalEvent.Data("MESSAGES", n, "im", "message_id");
            var imChatId = portalEvent.Data("MESSAGES", n, "im", "chat_id");
            var chatId = portalEvent.Data("MESSAGES", n, "chat", "id");
            if (imMessageId is null && imChatId is null && chatId is null) break;
            if (string.IsNullOrEmpty(imMessageId) || string.IsNullOrEmpty(imChatId) || string.IsNullOrEmpty(chatId)) continue;

            replies.Add(new ReplyEvent
            {
                Change = change,
                Line = line,
                ImChatId = imChatId,
                ImMessageId = imMessageId,
                ChatId = chatId,
                Text = change == ReplyChange.Deleted ? null : portalEvent.Data("MESSAGES", n, "message", "text") ?? "",
                Files = Files(portalEvent, n),
                OperatorId = portalEvent.Data("MESSAGES", n, "message", "user_id"),
                ExternalIds = ExternalIds(portalEvent, n),
            });
        }
        return replies;
    }

    private bool Store(string memberId, ReplyEvent reply)
    {
        var now = time.GetUtcNow();
        if (reply.Change == ReplyChange.Created)
        {
            var changedBy = reply.OperatorId is { Length: > 0 } id ? $"Operator #{id}" : "Operator";
            var added = store.AddReply(memberId, app.Value.ConnectorId, reply, changedBy,
                record => WebhookPayload.Delivery(record, reply, WebhookEventTypes.MessageCreated, now));
            if (added.Duplicate)
            {
                logger.LogInformation("Reply {ImMessageId} on line {LineId} was already recorded; the repeated event is ignored", reply.ImMessageId, reply.Line);
            }
            return !added.Duplicate;
        }

        var type = reply.Change == ReplyChange.Updated ? WebhookEventTypes.MessageUpdated : WebhookEventTypes.MessageDeleted;
        var changed = store.ChangeReply(memberId, reply, "Operator",
            record => WebhookPayload.Delivery(record, reply, type, now));
        if (changed is null)
        {
            // The portal confirmed the change, so the reply exists: its own event has not been applied yet (events
            // arrive out of order). Keep this one until it has.
            logger.LogInformation("{EventType} for reply {ImMessageId} on line {LineId} waits for the reply itself", type, reply.ImMessageId, reply.Line);
            throw new EventNotReadyException($"Reply {reply.ImMessageId} on line {reply.Line} has not arrived yet.");
        }
        return !changed.Duplicate;
    }

    private static IReadOnlyList<ReplyFile> Files(PortalEvent e, string n)
    {
        var files = new List<ReplyFile>();
        for (var j = 0; ; j++)
        {
            var m = j.ToString(CultureInfo.InvariantCulture);
            string? Field(string name) => e.Data("MESSAGES", n, "message", "files", m, name);
            var name = Field("name");
            var link = Field("link");
            if (name is null && link is null) break;
            files.Add(new ReplyFile(name, link, Field("mime") ?? Field("type"),
                long.TryParse(Field("size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) ? size : null));
        }
        return files;
    }

    // Update sends message.id as an array, delete as one id per element (§9.8).
    private static IReadOnlyList<string> ExternalIds(PortalEvent e, string n)
    {
        if (e.Data("MESSAGES", n, "message", "id") is { Length: > 0 } single) return [single];
        var ids = new List<string>();
        for (var j = 0; e.Data("MESSAGES", n, "message", "id", j.ToString(CultureInfo.InvariantCulture)) is { } id; j++)
        {
            if (id.Length > 0) ids.Add(id);
        }
        return ids;
    }
}
