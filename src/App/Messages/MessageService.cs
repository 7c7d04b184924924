using System.Globalization;
using LineBridge.Bitrix24.Models;
using LineBridge.Components;
using LineBridge.Components.Localization;
using LineBridge.Components.Messages;
using LineBridge.Components.Portal;
using LineBridge.Install;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>Who made a change: the external system through the API, or a person in the portal.</summary>
public sealed record ChangeAuthor(string Name, string Source)
{
    public static readonly ChangeAuthor Api = new("API", "API");

    public static ChangeAuthor PortalUser(PortalSession session) => new(session.UserName, $"portal user #{session.UserId}");
}

/// <summary>
/// The one road for sends, edits and deletes, used by the external API and the UI alike: it validates, writes the
/// change with its outbox item (durable before the caller hears "accepted"), wakes the dispatcher and tells open
/// UI sessions. It also reads the log for the UI, always within the session's portal.
/// </summary>
public sealed class MessageService(
    MessageStore store,
    LineConnections lines,
    MessageUpdates updates,
    OutboxSignal signal,
    IOptions<MessageOptions> options,
    IOptions<Bitrix24AppOptions> app,
    IPortalSessions? sessions = null,
    ChatDirectory? chats = null,
    PortalUserNames? userNames = null) : IMessageLog, IMessageEditor
{
    private const int MaxReplacePreview = 1000;

    public int MaxTextLength => options.Value.MaxTextLength;

    public string ConnectorId => app.Value.ConnectorId;

    /// <summary>Why the line cannot take messages (in English, for the API), or null when it can.</summary>
    public string? LineRefusal(string memberId, int line) => English(LineRefusalText(memberId, line));

    /// <summary>Why the line cannot take messages, for the UI to tell in the user's language; null when it can.</summary>
    private LocalText? LineRefusalText(string memberId, int line)
    {
        var id = line.ToString(CultureInfo.InvariantCulture);
        return lines.GetState(memberId, line) switch
        {
            LineConnectionState.Connected => null,
            null => new LocalText("Problem.LineNotConnected", id),
            LineConnectionState.Disconnected => new LocalText("Problem.LineDisconnected", id),
            LineConnectionState.Deleted => new LocalText("Problem.LineDeleted", id),
            _ => new LocalText("Problem.LineCannotTake", id),
        };
    }

    private static string? English(LocalText? text) => text is null ? null : Localizer.PlainEnglish(text.Encode());

    public bool IsUnknownLine(string memberId, int line) => lines.GetState(memberId, line) is null;

    /// <summary>Records messages (idempotent on chat id + message id) and queues their sends. Validate first.</summary>
    public IReadOnlyList<AddedMessage> Send(string memberId, int line, IReadOnlyList<ConnectorMessage> messages, ChangeAuthor author) =>
        Announce(memberId, store.Add(ToNew(memberId, line, messages), author.Name, author.Source));

    /// <summary><see cref="Send"/> for the send API: concurrent requests share durable commits (group commit).</summary>
    public async Task<IReadOnlyList<AddedMessage>> SendAsync(
        string memberId, int line, IReadOnlyList<ConnectorMessage> messages, ChangeAuthor author) =>
        Announce(memberId, await store.AddAsync(ToNew(memberId, line, messages), author.Name, author.Source));

    private List<NewMessage> ToNew(string memberId, int line, IReadOnlyList<ConnectorMessage> messages) =>
        messages.Select(m => new NewMessage(memberId, ConnectorId, line, m)).ToList();

    /// <summary>Once the messages are durable: wake the dispatcher and show the new ones to open UI sessions.</summary>
    private IReadOnlyList<AddedMessage> Announce(string memberId, IReadOnlyList<AddedMessage> added)
    {
        signal.Notify();
        foreach (var line in added.Where(a => !a.Duplicate).GroupBy(a => a.Record.Line))
            chats?.Note(memberId, line.Key, line.Select(a => (a.Record.ChatId, a.Record.ChatName)));
        updates.Publish(memberId, added.Where(a => !a.Duplicate).Select(a => ToSentMessage(a.Record)));
        return added;
    }

    /// <summary>The reason (in English, for the API) a text cannot be set on a message, or null when it can.</summary>
    public string? TextProblem(string? text, bool hasFiles) => English(TextProblemText(text, hasFiles));

    private LocalText? TextProblemText(string? text, bool hasFiles)
    {
        if (string.IsNullOrWhiteSpace(text) && !hasFiles) return new LocalText("Problem.TextEmpty");
        // Typed in the UI as well as sent to the API: a NUL or half a character would fail at the store or the portal.
        if (text is not null && StorableText.Problem(text) is not null) return new LocalText("Problem.TextUnstorable");
        // The portal counts characters as PHP's mb_ functions do: Unicode code points, so an emoji is one character
        // (two UTF-16 units in .NET's Length).
        if (text is not null && CodePoints(text) is var length && length > MaxTextLength)
        {
            return new LocalText("Problem.TextTooLong",
                length.ToString(CultureInfo.InvariantCulture), MaxTextLength.ToString(CultureInfo.InvariantCulture));
        }
        return null;
    }

    /// <summary>
    /// The reason a text cannot replace a message's text, or null when it can. An edit always needs text, even for a
    /// message sent with files: <c>imconnector.update.messages</c> carries no files, and the portal refuses an
    /// update without text ("Not all the required data") after we would already have said "accepted".
    /// </summary>
    public string? EditTextProblem(string? text, bool hasFiles) => English(EditTextProblemText(text, hasFiles));

    private LocalText? EditTextProblemText(string? text, bool hasFiles) =>
        string.IsNullOrWhiteSpace(text) && hasFiles ? new LocalText("Problem.EditNeedsText") : TextProblemText(text, hasFiles: false);

    /// <summary>The number of Unicode code points in <paramref name="text"/> (PHP <c>mb_strlen</c> in UTF-8).</summary>
    public static int CodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes()) count++;
        return count;
    }

    public ChangeResult Edit(string memberId, ObjectId messageId, int? expectedVersion, string? text, ChangeAuthor author)
    {
        var current = store.Get(memberId, messageId);
        if (current is null) return new(ChangeOutcome.NotFound);
        // Recorded language-neutral: the UI tells it in the user's language, the API in English (Localizer.PlainEnglish).
        if (EditTextProblemText(text, current.HasFiles) is { } problem) return new(ChangeOutcome.Rejected, current, problem.Encode());
        return Publish(store.Change(memberId, messageId, ChangeKind.Edit, expectedVersion, text ?? "", author.Name, author.Source));
    }

    /// <summary>
    /// Many edits accepted together (one transaction): find-and-replace over a chat or a line. Invalid texts are
    /// rejected one by one; the rest are stored and queued.
    /// </summary>
    public IReadOnlyList<ChangeResult> EditMany(
        string memberId, IReadOnlyList<(ObjectId MessageId, int? ExpectedVersion, string Text)> edits, ChangeAuthor author)
    {
        var valid = edits.Where(e => TextProblem(e.Text, hasFiles: false) is null).ToList();
        var stored = store.EditMany(memberId, valid, author.Name, author.Source);
        var byId = valid.Select((e, i) => (e.MessageId, Result: stored[i])).ToDictionary(x => x.MessageId, x => x.Result);
        var accepted = stored.Where(r => r.Outcome == ChangeOutcome.Accepted).Select(r => r.Message!).ToList();
        if (accepted.Count > 0)
        {
            signal.Notify();
            updates.Publish(memberId, accepted.Select(ToSentMessage));
        }
        return edits.Select(e => byId.TryGetValue(e.MessageId, out var r)
            ? r
            : new ChangeResult(ChangeOutcome.Rejected, null, TextProblemText(e.Text, hasFiles: false)?.Encode())).ToList();
    }

    /// <summary>Queues a failed message's last change again; see <see cref="MessageStore.Retry"/>.</summary>
    public ChangeResult Retry(string memberId, ObjectId messageId, ChangeAuthor author) =>
        Publish(store.Retry(memberId, messageId, author.Name));

    public ChangeResult Delete(string memberId, ObjectId messageId, int? expectedVersion, ChangeAuthor author) =>
        Publish(store.Change(memberId, messageId, ChangeKind.Delete, expectedVersion, null, author.Name, author.Source));

    private ChangeResult Publish(ChangeResult result)
    {
        if (result is { Outcome: ChangeOutcome.Accepted, Message: { } message })
        {
            signal.Notify();
            updates.Publish(message.MemberId, [ToSentMessage(message)]);
        }
        return result;
    }

    // ---- IMessageLog ----

    public async Task<MessagePage> QueryAsync(PortalSession session, MessageQuery query, CancellationToken cancellationToken = default)
    {
        var matches = query.ChatId is { } chatText && chats is not null ? chats.Find(session.MemberId, query.LineId, chatText) : null;
        var page = matches is not null ? QueryChats(session.MemberId, query, matches.Chats) : store.QueryPage(session.MemberId, query);
        return new MessagePage(
            await WithNamesAsync(session.MemberId, page.Items.Select(ToSentMessage).ToList(), cancellationToken),
            page.Total, page.TotalIsCapped)
        {
            // More chats matched than one search merges: the table says so and how to narrow.
            ChatMatches = matches?.Total ?? 0,
            ChatsSearched = matches?.Chats.Count ?? 0,
        };
    }

    /// <summary>
    /// The messages of every chat a chat search matched, merged newest first. Each chat is read from its own index
    /// range up to the end of the requested page (the store serves at most 500 per read, so deep pages of a
    /// many-chat match end there).
    /// </summary>
    private LogPage QueryChats(
        string memberId, MessageQuery query, IReadOnlyList<ChatDirectory.Chat> matches)
    {
        if (matches.Count == 1) return store.QueryPage(memberId, query with { ChatId = matches[0].ChatId });
        var upTo = (query.Page + 1) * query.PageSize;
        var total = 0;
        var capped = false;
        var merged = new List<MessageRecord>();
        foreach (var chat in matches)
        {
            var part = store.QueryPage(memberId, query with { ChatId = chat.ChatId, Page = 0, PageSize = upTo });
            total += part.Total;
            capped |= part.TotalIsCapped;
            merged.AddRange(part.Items);
        }
        var page = merged.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
            .Skip(query.Page * query.PageSize).Take(query.PageSize).ToList();
        return new LogPage(page, total, capped);
    }

    /// <summary>
    /// The names people know: the chat's name where the record lacks it (operator replies carry only the chat id),
    /// and operators' names from the portal instead of "Operator #N".
    /// </summary>
    private async Task<IReadOnlyList<SentMessage>> WithNamesAsync(
        string memberId, IReadOnlyList<SentMessage> messages, CancellationToken cancellationToken)
    {
        var operatorIds = messages
            .Where(m => m.Direction == MessageDirection.Outgoing && (m.ExternalUserName is null || m.ExternalUserName.StartsWith("Operator", StringComparison.Ordinal)))
            .Select(m => int.TryParse(m.ExternalUserId, out var id) ? id : 0)
            .Where(id => id > 0)
            .ToList();
        var names = userNames is not null && operatorIds.Count > 0
            ? await userNames.GetAsync(memberId, operatorIds, cancellationToken)
            : new Dictionary<int, string>();
        return messages.Select(m =>
        {
            if (m.ChatName is null && chats?.NameOf(memberId, m.LineId, m.ChatId) is { } chatName)
                m = m with { ChatName = chatName };
            if (m.Direction == MessageDirection.Outgoing && int.TryParse(m.ExternalUserId, out var id) && names.TryGetValue(id, out var name))
                m = m with { ExternalUserName = name };
            return m;
        }).ToList();
    }

    public async Task<SentMessage?> GetAsync(PortalSession session, string messageId, CancellationToken cancellationToken = default) =>
        TryParseId(messageId) is { } id && store.Get(session.MemberId, id) is { } record
            ? (await WithNamesAsync(session.MemberId, [ToSentMessage(record)], cancellationToken))[0]
            : null;

    public Task<IReadOnlyList<MessageVersion>> GetHistoryAsync(
        PortalSession session, string messageId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<MessageVersion>>(TryParseId(messageId) is { } id
            ? store.GetVersions(session.MemberId, id).Select(ToVersion).ToList()
            : []);

    // ---- IMessageEditor ----

    public Task<EditOutcome> EditAsync(
        PortalSession session, string messageId, int expectedVersion, string newText, CancellationToken cancellationToken = default)
    {
        if (TryParseId(messageId) is not { } id) return Task.FromResult<EditOutcome>(new EditOutcome.NotFound());
        return Task.FromResult(ToOutcome(Edit(session.MemberId, id, expectedVersion, newText, ChangeAuthor.PortalUser(session))));
    }

    public Task<EditOutcome> RevertAsync(
        PortalSession session, string messageId, int toVersion, int expectedVersion, CancellationToken cancellationToken = default)
    {
        if (TryParseId(messageId) is not { } id) return Task.FromResult<EditOutcome>(new EditOutcome.NotFound());
        var target = store.GetVersions(session.MemberId, id).FirstOrDefault(v => v.Version == toVersion && v.Kind != ChangeKind.Delete);
        if (target is null)
        {
            return Task.FromResult<EditOutcome>(new EditOutcome.Rejected(
                new LocalText("Problem.NoSuchVersion", toVersion.ToString(CultureInfo.InvariantCulture)).Encode()));
        }
        var author = ChangeAuthor.PortalUser(session);
        author = author with { Source = $"{author.Source}, revert to version {toVersion}" };
        return Task.FromResult(ToOutcome(Edit(session.MemberId, id, expectedVersion, target.NewText, author)));
    }

    public Task<EditOutcome> RetryAsync(PortalSession session, string messageId, CancellationToken cancellationToken = default)
    {
        if (TryParseId(messageId) is not { } id) return Task.FromResult<EditOutcome>(new EditOutcome.NotFound());
        return Task.FromResult(ToOutcome(Retry(session.MemberId, id, ChangeAuthor.PortalUser(session))));
    }

    public async Task<IReadOnlyList<ReplacementPreview>> PreviewReplaceAsync(
        PortalSession session, int lineId, string? chatId, string find, string replace, CancellationToken cancellationToken = default)
    {
        // A whole line at once (hundreds of messages in one click) is an administrator's call; operators fix one chat.
        if (string.IsNullOrWhiteSpace(chatId) && !await IsConfirmedAdminAsync(session, cancellationToken))
            throw new UnauthorizedAccessException("Only a portal administrator can replace across a whole line; name one chat.");
        if (string.IsNullOrEmpty(find)) return [];
        var chat = string.IsNullOrWhiteSpace(chatId) ? null : ResolveOneChat(session.MemberId, lineId, chatId);
        var found = store.FindContaining(session.MemberId, lineId, chat, find, MaxReplacePreview);
        return found
            .Select(r => new ReplacementPreview(ToSentMessage(r), r.Text.Replace(find, replace, StringComparison.Ordinal)))
            .ToList();
    }

    /// <summary>The session's role, re-checked with the portal (<see cref="IPortalSessions.ConfirmAdminAsync"/>) where sessions are known.</summary>
    private async Task<bool> IsConfirmedAdminAsync(PortalSession session, CancellationToken cancellationToken) =>
        session.IsAdmin && (sessions is null || await sessions.ConfirmAdminAsync(session, cancellationToken));

    /// <summary>The one chat a name or id (or part of one) names; several matches are refused, not guessed.</summary>
    private string ResolveOneChat(string memberId, int lineId, string chatText)
    {
        if (chats is null) return chatText.Trim();
        var matches = chats.Find(memberId, lineId, chatText);
        var exact = matches.Chats.FirstOrDefault(c => c.ChatId == chatText.Trim() || string.Equals(c.Name, chatText.Trim(), StringComparison.OrdinalIgnoreCase));
        if (exact is not null) return exact.ChatId;
        if (matches.Total == 1) return matches.Chats[0].ChatId;
        throw new OperationFailedException(new LocalText(
            "Problem.ChatsAmbiguous", matches.Total.ToString(CultureInfo.InvariantCulture), chatText.Trim()));
    }

    public async Task<SentMessage> SendTestMessageAsync(
        PortalSession session, int lineId, string text, CancellationToken cancellationToken = default)
    {
        if (!await IsConfirmedAdminAsync(session, cancellationToken)) throw new UnauthorizedAccessException("Only portal administrators can send test messages.");
        if (LineRefusalText(session.MemberId, lineId) is { } refusal) throw new OperationFailedException(refusal);
        if (TextProblemText(text, hasFiles: false) is { } problem) throw new OperationFailedException(problem);

        // One test chat per administrator, so their test messages read as one dialog in the portal.
        var message = new ConnectorMessage(
            new ConnectorUser { Id = $"linebridge-test-{session.UserId}", Name = "LineBridge", LastName = "Test" },
            new ConnectorMessageBody { Id = "test-" + Guid.NewGuid().ToString("N"), Text = text },
            new ConnectorChat { Id = $"linebridge-test-{session.UserId}", Name = "LineBridge test" });
        var added = Send(session.MemberId, lineId, [message], ChangeAuthor.PortalUser(session));
        return ToSentMessage(added[0].Record);
    }

    // ---- mapping ----

    private static EditOutcome ToOutcome(ChangeResult result) => result.Outcome switch
    {
        ChangeOutcome.Accepted => new EditOutcome.Accepted(ToSentMessage(result.Message!)),
        ChangeOutcome.Conflict => new EditOutcome.Conflict(ToSentMessage(result.Message!)),
        ChangeOutcome.Rejected => new EditOutcome.Rejected(result.Reason ?? new LocalText("Problem.ChangeRefused").Encode()),
        _ => new EditOutcome.NotFound(),
    };

    public static ObjectId? TryParseId(string? id)
    {
        if (id is not { Length: 24 } || !id.All(Uri.IsHexDigit)) return null;
        return new ObjectId(id);
    }

    public static SentMessage ToSentMessage(MessageRecord r) => new()
    {
        Id = r.Id.ToString(),
        LineId = r.Line,
        ChatId = r.ChatId,
        ChatName = r.ChatName,
        ExternalMessageId = r.ExternalMessageId,
        ExternalUserId = r.ExternalUserId,
        ExternalUserName = r.ExternalUserName,
        Text = r.Text,
        Status = r.Status,
        FailureReason = r.FailureReason,
        PortalText = r.Delivered ? r.PortalText : null,
        CreatedAt = new DateTimeOffset(r.CreatedAt.ToUniversalTime()),
        UpdatedAt = new DateTimeOffset(r.UpdatedAt.ToUniversalTime()),
        Version = r.Version,
        LastEditedBy = r.LastEditedBy,
        Direction = r.Direction,
        Files = r.HasFiles ? FilesOf(r) : [],
    };

    /// <summary>
    /// The files a message carries, from what was accepted: the <c>MESSAGES</c> element of a send (its
    /// <c>message.files</c>), or the portal's file list of an operator's reply.
    /// </summary>
    private static IReadOnlyList<MessageFile> FilesOf(MessageRecord r)
    {
        try
        {
            if (r.Direction == MessageDirection.Outgoing)
            {
                return (System.Text.Json.JsonSerializer.Deserialize<List<Replies.ReplyFile>>(r.Payload, FileJson) ?? [])
                    .Where(f => !string.IsNullOrEmpty(f.Link))
                    .Select(f => new MessageFile(string.IsNullOrWhiteSpace(f.Name) ? FileName(f.Link!) : f.Name, f.Link!))
                    .ToList();
            }
            return (MessageStore.DeserializePayload(r.Payload).Message.Files ?? [])
                .Select(f => new MessageFile(string.IsNullOrWhiteSpace(f.Name) ? FileName(f.Url) : f.Name, f.Url))
                .ToList();
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions FileJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    private static string FileName(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && Path.GetFileName(uri.AbsolutePath) is { Length: > 0 } name
            ? Uri.UnescapeDataString(name)
            : url;

    public static MessageVersion ToVersion(MessageVersionRecord v) => new(
        v.Version,
        v.OldText,
        v.NewText,
        v.ChangedBy,
        v.Kind == ChangeKind.Delete ? v.Source + " (delete)" : v.Source,
        new DateTimeOffset(v.ChangedAt.ToUniversalTime()),
        v.Status,
        v.PortalAnswer);
}
