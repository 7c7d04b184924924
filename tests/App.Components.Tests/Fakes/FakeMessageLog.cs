using LineBridge.Components.Messages;
using LineBridge.Components.Portal;

namespace LineBridge.Components.Fakes;

/// <summary>An in-memory message record that filters and pages like the real one (newest first).</summary>
public sealed class FakeMessageLog : IMessageLog
{
    public List<SentMessage> Messages { get; } = [];
    public Dictionary<string, List<MessageVersion>> History { get; } = [];
    public List<MessageQuery> Queries { get; } = [];
    public Exception? QueryFailure { get; set; }

    /// <summary>When set, a line's total (no chat filter) beyond it (or beyond the page's end) is reported capped ("1000+"), as the store does.</summary>
    public int? TotalCap { get; set; }

    /// <summary>What a chat search reports: how many chats matched and how many it merged (one of one when unset).</summary>
    public (int Matches, int Searched)? ChatSearch { get; set; }

    public Task<MessagePage> QueryAsync(PortalSession session, MessageQuery query, CancellationToken cancellationToken = default)
    {
        lock (Queries)
            Queries.Add(query);
        if (QueryFailure is not null)
            return Task.FromException<MessagePage>(QueryFailure);
        var matches = Messages
            .Where(m => m.LineId == query.LineId)
            .Where(m => query.ChatId is null || m.ChatId == query.ChatId)
            .Where(m => query.Status is null || m.Status == query.Status)
            .Where(m => query.Text is null || m.Text.Contains(query.Text, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(m => m.CreatedAt)
            .ToList();
        var page = matches.Skip(query.Page * query.PageSize).Take(query.PageSize).ToList();
        // As the store counts: up to one beyond the cap or the page's end, whichever is further.
        var shown = Math.Max(TotalCap ?? int.MaxValue, (query.Page + 1) * query.PageSize);
        var capped = TotalCap is not null && query.ChatId is null && matches.Count > shown;
        return Task.FromResult(new MessagePage(page, capped ? shown : matches.Count, capped)
        {
            ChatMatches = query.ChatId is null ? 0 : ChatSearch?.Matches ?? 1,
            ChatsSearched = query.ChatId is null ? 0 : ChatSearch?.Searched ?? 1,
        });
    }

    public Task<SentMessage?> GetAsync(PortalSession session, string messageId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Messages.FirstOrDefault(m => m.Id == messageId));

    public Task<IReadOnlyList<MessageVersion>> GetHistoryAsync(PortalSession session, string messageId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<MessageVersion>>(History.GetValueOrDefault(messageId) ?? []);

    public SentMessage Add(string id, string text, int lineId = 1, string chatId = "chat-1", MessageStatus status = MessageStatus.Sent,
        int version = 1, int minutesAgo = 0, string? failureReason = null, string? editedBy = null)
    {
        var at = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero).AddMinutes(-minutesAgo);
        var message = new SentMessage
        {
            Id = id,
            LineId = lineId,
            ChatId = chatId,
            ChatName = $"Chat {chatId}",
            ExternalMessageId = $"ext-{id}",
            ExternalUserId = "customer-1",
            ExternalUserName = "Carla Customer",
            Text = text,
            Status = status,
            FailureReason = failureReason,
            CreatedAt = at,
            UpdatedAt = at,
            Version = version,
            LastEditedBy = editedBy,
        };
        Messages.Add(message);
        return message;
    }
}
