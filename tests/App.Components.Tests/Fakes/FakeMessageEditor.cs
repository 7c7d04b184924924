using LineBridge.Components.Messages;
using LineBridge.Components.Portal;

namespace LineBridge.Components.Fakes;

/// <summary>
/// Accepts edits like the real editor (new version, queued) unless a test scripts another outcome, and records
/// what the UI asked for.
/// </summary>
public sealed class FakeMessageEditor(FakeMessageLog log) : IMessageEditor
{
    public int MaxTextLength { get; set; } = 100;
    public List<(string MessageId, int ExpectedVersion, string NewText)> Edits { get; } = [];
    public List<(string MessageId, int ToVersion, int ExpectedVersion)> Reverts { get; } = [];
    public List<(int LineId, string? ChatId, string Find, string Replace)> Previews { get; } = [];
    public List<(int LineId, string Text)> TestMessages { get; } = [];

    /// <summary>Decides the outcome of each edit; null means accept.</summary>
    public Func<string, int, string, EditOutcome?>? Script { get; set; }
    /// <summary>When set, each edit waits for it (to test progress and cancelling).</summary>
    public Func<string, Task>? EditGate { get; set; }
    public Exception? Failure { get; set; }

    public async Task<EditOutcome> EditAsync(PortalSession session, string messageId, int expectedVersion, string newText,
        CancellationToken cancellationToken = default)
    {
        lock (Edits)
            Edits.Add((messageId, expectedVersion, newText));
        if (EditGate is not null)
            await EditGate(messageId);
        cancellationToken.ThrowIfCancellationRequested();
        if (Failure is not null)
            throw Failure;
        return Script?.Invoke(messageId, expectedVersion, newText) ?? Accept(messageId, newText);
    }

    public Task<EditOutcome> RevertAsync(PortalSession session, string messageId, int toVersion, int expectedVersion,
        CancellationToken cancellationToken = default)
    {
        Reverts.Add((messageId, toVersion, expectedVersion));
        var outcome = Script?.Invoke(messageId, expectedVersion, "")
            ?? Accept(messageId, log.History[messageId].Single(v => v.Version == toVersion).NewText);
        return Task.FromResult(outcome);
    }

    public List<string> Retries { get; } = [];

    /// <summary>Queues the message again, as the real editor does for a failed one.</summary>
    public Task<EditOutcome> RetryAsync(PortalSession session, string messageId, CancellationToken cancellationToken = default)
    {
        Retries.Add(messageId);
        lock (log.Messages)
        {
            var index = log.Messages.FindIndex(m => m.Id == messageId);
            if (index < 0) return Task.FromResult<EditOutcome>(new EditOutcome.NotFound());
            var queued = log.Messages[index] with { Status = MessageStatus.Queued, FailureReason = null };
            log.Messages[index] = queued;
            return Task.FromResult<EditOutcome>(new EditOutcome.Accepted(queued));
        }
    }

    public Task<IReadOnlyList<ReplacementPreview>> PreviewReplaceAsync(PortalSession session, int lineId, string? chatId,
        string find, string replace, CancellationToken cancellationToken = default)
    {
        Previews.Add((lineId, chatId, find, replace));
        IReadOnlyList<ReplacementPreview> previews = log.Messages
            .Where(m => m.LineId == lineId && (chatId is null || m.ChatId == chatId) && m.Text.Contains(find, StringComparison.Ordinal))
            .Select(m => new ReplacementPreview(m, m.Text.Replace(find, replace, StringComparison.Ordinal)))
            .ToList();
        return Task.FromResult(previews);
    }

    public Task<SentMessage> SendTestMessageAsync(PortalSession session, int lineId, string text, CancellationToken cancellationToken = default)
    {
        TestMessages.Add((lineId, text));
        if (!session.IsAdmin)
            return Task.FromException<SentMessage>(new UnauthorizedAccessException("not an administrator"));
        if (Failure is not null)
            return Task.FromException<SentMessage>(Failure);
        return Task.FromResult(log.Add($"test-{TestMessages.Count}", text, lineId, status: MessageStatus.Queued));
    }

    private EditOutcome.Accepted Accept(string messageId, string newText)
    {
        lock (log.Messages)
        {
            var index = log.Messages.FindIndex(m => m.Id == messageId);
            var current = log.Messages[index];
            var edited = current with
            {
                Text = newText,
                Version = current.Version + 1,
                Status = MessageStatus.Queued,
                UpdatedAt = current.UpdatedAt.AddSeconds(1),
                LastEditedBy = "Anna Admin",
            };
            log.Messages[index] = edited;
            return new EditOutcome.Accepted(edited);
        }
    }
}
