using System.Text.Json;
using System.Text.Json.Serialization;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Localization;
using LineBridge.Components.Messages;
using LineBridge.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>
/// The external system's API: send messages into a line, read, edit and delete them, addressed by the external
/// (chat id, message id). Authenticated by the portal's API key (<c>Authorization: Bearer</c>); every error is a
/// problem document naming the field to fix.
/// </summary>
public static class MessageApiEndpoints
{
    private const string MemberIdItem = "LineBridge.ApiMemberId";

    // A field sent twice is refused: otherwise the last copy wins silently, and a proxy that reads the first sees another request.
    // Every string is one both stores and the portal can keep (StorableText).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        AllowDuplicateProperties = false,
        Converters = { new StorableText.JsonConverter() },
    };

    public static IEndpointRouteBuilder MapMessageApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1/lines/{lineId:int}").AddEndpointFilter(RequireApiKey).DisableAntiforgery();
        api.MapPost("/messages", SendAsync);
        api.MapGet("/chats/{chatId}/messages/{messageId}", Get);
        api.MapPatch("/chats/{chatId}/messages/{messageId}", EditAsync);
        api.MapDelete("/chats/{chatId}/messages/{messageId}", Delete);
        api.MapPost("/chats/{chatId}/messages/{messageId}/retry", Retry);
        return endpoints;
    }

    // Bodies are read by the handlers, after this filter, so a caller without a key learns nothing about the body.
    private static async ValueTask<object?> RequireApiKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        var memberId = http.RequestServices.GetRequiredService<ApiKeys>().Authenticate(presented);
        if (memberId is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(
                title: "Unauthorized",
                detail: presented is null
                    ? "Send the portal's API key in the Authorization header: 'Bearer <key>'."
                    : "The API key is not valid. An administrator can create a new one in the app.",
                statusCode: StatusCodes.Status401Unauthorized,
                extensions: new Dictionary<string, object?> { ["field"] = "Authorization" });
        }
        http.Items[MemberIdItem] = memberId;
        return await next(context);
    }

    private static string MemberId(HttpContext http) => (string)http.Items[MemberIdItem]!;

    // ---- send ----

    internal static async Task<Results<Accepted<SendMessagesResponse>, ValidationProblem, ProblemHttpResult>> SendAsync(
        int lineId, HttpContext http, MessageService messages, PortalStore portals, IOptions<MessageOptions> options,
        CancellationToken cancellationToken)
    {
        var (body, bodyError) = await ReadAsync<SendMessagesBody>(http, cancellationToken);
        if (bodyError is not null) return bodyError;

        var errors = Validate(body!, options.Value, messages);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The request has invalid fields.");

        var memberId = MemberId(http);
        // The status only: the tokens stay encrypted (decrypting them cost more than the rest of the request).
        var portalStatus = portals.FindStatus(memberId);
        if (PortalProblem(portalStatus) is { } portalProblem) return portalProblem;
        if (LineProblem(messages, memberId, lineId) is { } lineProblem) return lineProblem;

        var added = await messages.SendAsync(memberId, lineId, body!.Messages!.Select(m => m!.ToConnectorMessage()).ToList(), ChangeAuthor.Api);
        return TypedResults.Accepted((string?)null, new SendMessagesResponse(added.Select((a, i) => new SendResult(
            i, a.Record.Id.ToString(), a.Record.ChatId, a.Record.ExternalMessageId, a.Record.Status, a.Duplicate)).ToList(),
            PortalNotice(portalStatus)));
    }

    /// <summary>Field-by-field problems of a send request, keyed by the field's path (e.g. <c>messages[0].chat.id</c>).</summary>
    internal static Dictionary<string, string[]> Validate(SendMessagesBody body, MessageOptions options, MessageService messages)
    {
        var errors = new Dictionary<string, string[]>();
        void Add(string field, string problem) => errors[field] = [problem];

        if (body.Messages is not { Count: > 0 })
        {
            Add("messages", "Give at least one message.");
            return errors;
        }
        if (body.Messages.Count > options.MaxMessagesPerRequest)
        {
            Add("messages", $"At most {options.MaxMessagesPerRequest} messages per request; this one has {body.Messages.Count}.");
            return errors;
        }
        for (var i = 0; i < body.Messages.Count; i++)
        {
            var at = $"messages[{i}]";
            var m = body.Messages[i];
            if (m is null)
            {
                Add(at, "The message is null.");
                continue;
            }
            if (m.User is null) Add(at + ".user", "The external user is required.");
            else if (string.IsNullOrWhiteSpace(m.User.Id)) Add(at + ".user.id", "The external user's id is required; edits and deletes reuse it.");
            if (m.Chat is null) Add(at + ".chat", "The external chat is required.");
            else if (string.IsNullOrWhiteSpace(m.Chat.Id)) Add(at + ".chat.id", "The external chat's id is required; edits and deletes reuse it.");
            if (m.Message is null)
            {
                Add(at + ".message", "The message body is required.");
                continue;
            }
            if (string.IsNullOrWhiteSpace(m.Message.Id)) Add(at + ".message.id", "The external message id is required; edits and deletes address it.");
            var files = m.Message.Files ?? [];
            for (var f = 0; f < files.Count; f++)
            {
                if (files[f] is not { Url: { } url } || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
                    || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    Add($"{at}.message.files[{f}].url", "Each file needs an absolute http(s) URL the portal can download.");
                }
            }
            if (messages.TextProblem(m.Message.Text, files.Count > 0) is { } textProblem) Add(at + ".message.text", textProblem);
        }
        return errors;
    }

    // ---- read, edit, delete ----

    internal static Results<Ok<MessageView>, ProblemHttpResult> Get(
        int lineId, string chatId, string messageId, HttpContext http, MessageStore store)
    {
        var memberId = MemberId(http);
        var record = store.FindByExternal(memberId, lineId, chatId, messageId);
        if (record is null) return NotFound(lineId, chatId, messageId);
        return TypedResults.Ok(MessageView.From(record, store.GetVersions(memberId, record.Id)));
    }

    internal static async Task<Results<Accepted<MessageView>, ValidationProblem, ProblemHttpResult>> EditAsync(
        int lineId, string chatId, string messageId, HttpContext http, MessageService messages, MessageStore store,
        CancellationToken cancellationToken)
    {
        var (body, bodyError) = await ReadAsync<EditMessageBody>(http, cancellationToken);
        if (bodyError is not null) return bodyError;

        var memberId = MemberId(http);
        var record = store.FindByExternal(memberId, lineId, chatId, messageId);
        if (record is null) return NotFound(lineId, chatId, messageId);
        if (body!.Text is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = ["The new text is required."] });
        }
        if (messages.EditTextProblem(body.Text, record.HasFiles) is { } textProblem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = [textProblem] });
        }
        if (LineProblem(messages, memberId, lineId) is { } lineProblem) return lineProblem;

        var result = messages.Edit(memberId, record.Id, body.ExpectedVersion, body.Text, ChangeAuthor.Api);
        return ChangeResponse(result, lineId, chatId, messageId, store, memberId);
    }

    internal static Results<Accepted<MessageView>, ValidationProblem, ProblemHttpResult> Delete(
        int lineId, string chatId, string messageId, string? expectedVersion, HttpContext http, MessageService messages,
        MessageStore store)
    {
        // Bound as text: a non-number gets a problem naming the field, not the framework's bare 400.
        int? expected = null;
        if (expectedVersion is not null)
        {
            if (!int.TryParse(expectedVersion, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) || version < 1)
            {
                return TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["expectedVersion"] = ["Send the version you last read, a whole number from 1."] },
                    title: "The request has invalid fields.");
            }
            expected = version;
        }

        var memberId = MemberId(http);
        var record = store.FindByExternal(memberId, lineId, chatId, messageId);
        if (record is null) return NotFound(lineId, chatId, messageId);
        if (LineProblem(messages, memberId, lineId) is { } lineProblem) return lineProblem;

        var result = messages.Delete(memberId, record.Id, expected, ChangeAuthor.Api);
        return ChangeResponse(result, lineId, chatId, messageId, store, memberId);
    }

    private static Results<Accepted<MessageView>, ValidationProblem, ProblemHttpResult> ChangeResponse(
        ChangeResult result, int lineId, string chatId, string messageId, MessageStore store, string memberId) =>
        result.Outcome switch
        {
            ChangeOutcome.Accepted => TypedResults.Accepted((string?)null,
                MessageView.From(result.Message!, store.GetVersions(memberId, result.Message!.Id))),
            ChangeOutcome.Conflict => TypedResults.Problem(
                title: "The message was changed by someone else.",
                detail: $"The message is at version {result.Message!.Version}, not the expected one. Read it, then send expectedVersion {result.Message.Version}.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?>
                {
                    ["field"] = "expectedVersion",
                    ["currentVersion"] = result.Message.Version,
                    ["currentText"] = result.Message.Text,
                }),
            ChangeOutcome.Rejected => TypedResults.Problem(
                title: "The message cannot be changed.", detail: Localizer.PlainEnglish(result.Reason), statusCode: StatusCodes.Status409Conflict),
            _ => NotFound(lineId, chatId, messageId),
        };

    /// <summary>
    /// Queues a failed message's last change again (<c>POST .../retry</c>): one call for what the UI's Retry does.
    /// 409 when the message has not failed.
    /// </summary>
    internal static Results<Accepted<MessageView>, ValidationProblem, ProblemHttpResult> Retry(
        int lineId, string chatId, string messageId, HttpContext http, MessageService messages, MessageStore store, PortalStore portals)
    {
        var memberId = MemberId(http);
        var record = store.FindByExternal(memberId, lineId, chatId, messageId);
        if (record is null) return NotFound(lineId, chatId, messageId);
        if (PortalProblem(portals.FindStatus(memberId)) is { } portalProblem) return portalProblem;
        var result = messages.Retry(memberId, record.Id, ChangeAuthor.Api);
        return result.Outcome == ChangeOutcome.Rejected
            ? TypedResults.Problem(title: "Nothing to retry.", detail: Localizer.PlainEnglish(result.Reason), statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["field"] = "messageId", ["messageStatus"] = result.Message?.Status.ToString() })
            : ChangeResponse(result, lineId, chatId, messageId, store, memberId);
    }

    // ---- helpers ----

    /// <summary>
    /// Refuses new work for a portal that uninstalled LineBridge: nothing can reach it until an administrator
    /// installs it again, and accepting it would only leave it waiting unseen.
    /// </summary>
    private static ProblemHttpResult? PortalProblem(PortalStatus? status) => status == PortalStatus.Uninstalled
        ? TypedResults.Problem(
            title: "LineBridge is not installed on the portal.",
            detail: "The portal uninstalled LineBridge, so nothing can be sent into its open lines. A portal administrator " +
                    "installs LineBridge again (Bitrix24 → Applications) and connects the line; then send again. " +
                    "Messages accepted earlier are kept and shown as waiting.",
            statusCode: StatusCodes.Status409Conflict,
            extensions: new Dictionary<string, object?> { ["portalStatus"] = "Uninstalled" })
        : null;

    /// <summary>What the caller should know about an accepted request: the portal cannot take it right now.</summary>
    private static string? PortalNotice(PortalStatus? status) =>
        status == PortalStatus.PaymentRequired ? Localizer.PlainEnglish(WaitReasons.PaymentRequired) : null;

    private static ProblemHttpResult? LineProblem(MessageService messages, string memberId, int lineId)
    {
        var refusal = messages.LineRefusal(memberId, lineId);
        if (refusal is null) return null;
        var unknown = messages.IsUnknownLine(memberId, lineId);
        return TypedResults.Problem(
            title: unknown ? "Unknown line." : "The line is not connected.",
            detail: refusal,
            statusCode: unknown ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict,
            extensions: new Dictionary<string, object?> { ["field"] = "lineId" });
    }

    private static ProblemHttpResult NotFound(int lineId, string chatId, string messageId) => TypedResults.Problem(
        title: "No such message.",
        detail: $"LineBridge has no message '{messageId}' in chat '{chatId}' of line {lineId}. Only messages sent through LineBridge can be changed.",
        statusCode: StatusCodes.Status404NotFound,
        extensions: new Dictionary<string, object?> { ["field"] = "messageId" });

    private static async Task<(T? Body, ValidationProblem? Error)> ReadAsync<T>(HttpContext http, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var body = await http.Request.ReadFromJsonAsync<T>(Json, cancellationToken);
            return body is null
                ? (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body is required."] }))
                : (body, null);
        }
        catch (UnstorableTextException ex)
        {
            return (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { [FieldOf(ex)] = [ex.Message] }));
        }
        catch (JsonException ex)
        {
            return (null, TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [FieldOf(ex)] = ["This is not valid JSON of the expected shape (ids and texts are strings)."] }));
        }
        catch (InvalidOperationException)
        {
            return (null, TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["body"] = ["Send the body as application/json."] }));
        }
    }

    private static string FieldOf(JsonException ex) =>
        string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
}

// ---- wire types (the API's own, so a field missing on the wire can be named rather than fail binding) ----

public sealed record SendMessagesBody(List<ApiMessage?>? Messages);

public sealed record ApiMessage(ApiUser? User, ApiChat? Chat, ApiMessageBody? Message)
{
    public ConnectorMessage ToConnectorMessage() => new(
        new ConnectorUser
        {
            Id = User!.Id!, Name = User.Name, LastName = User.LastName, Url = User.Url, Gender = User.Gender,
            Email = User.Email, Phone = User.Phone, SkipPhoneValidate = User.SkipPhoneValidate,
            Picture = User.Picture?.Url is { } picture ? new ConnectorPicture(picture) : null,
        },
        new ConnectorMessageBody
        {
            Id = Message!.Id, Date = Message.Date, Text = Message.Text, DisableCrm = Message.DisableCrm, UserId = Message.UserId,
            Files = Message.Files is { Count: > 0 } files ? files.Select(f => new ConnectorFile(f!.Url!, f.Name)).ToList() : null,
        },
        new ConnectorChat { Id = Chat!.Id!, Name = Chat.Name, Url = Chat.Url });
}

public sealed record ApiUser(
    string? Id, string? Name,
    [property: JsonPropertyName("last_name")] string? LastName,
    ApiPicture? Picture, string? Url, string? Gender, string? Email, string? Phone,
    [property: JsonPropertyName("skip_phone_validate")] string? SkipPhoneValidate);

public sealed record ApiPicture(string? Url);

public sealed record ApiChat(string? Id, string? Name, string? Url);

public sealed record ApiMessageBody(
    string? Id, long? Date, string? Text, List<ApiFile?>? Files,
    [property: JsonPropertyName("disable_crm")] string? DisableCrm,
    [property: JsonPropertyName("user_id")] int? UserId);

public sealed record ApiFile(string? Url, string? Name);

public sealed record EditMessageBody(string? Text, int? ExpectedVersion);

/// <summary>The accepted messages; <paramref name="Notice"/> says when they cannot go out at once (e.g. the portal must pay).</summary>
public sealed record SendMessagesResponse(
    IReadOnlyList<SendResult> Results,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Notice = null);

/// <summary>One accepted message: LineBridge's id, where it stands, and whether it had been accepted before.</summary>
public sealed record SendResult(
    int Index, string Id, string ChatId, string MessageId,
    [property: JsonConverter(typeof(JsonStringEnumConverter<MessageStatus>))] MessageStatus Status,
    bool Duplicate);

public sealed record MessageView(
    string Id, int LineId, string ChatId, string MessageId, string UserId, string Text,
    [property: JsonConverter(typeof(JsonStringEnumConverter<MessageStatus>))] MessageStatus Status,
    string? FailureReason, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    PortalAnswer Portal, IReadOnlyList<VersionView> History)
{
    public static MessageView From(MessageRecord r, IReadOnlyList<MessageVersionRecord> versions)
    {
        var m = MessageService.ToSentMessage(r);
        return new(m.Id, r.Line, r.ChatId, r.ExternalMessageId, r.ExternalUserId, r.Text, r.Status,
            // Recorded language-neutral; the API speaks English (the shapes it gave before).
            Localizer.PlainEnglish(r.FailureReason),
            r.Version, m.CreatedAt, m.UpdatedAt, new PortalAnswer(r.PortalUserId, r.SessionId, r.PortalChatId),
            versions.Select(v => VersionView.From(MessageService.ToVersion(v))).ToList());
    }
}

public sealed record PortalAnswer(string? UserId, string? SessionId, string? ChatId);

public sealed record VersionView(
    int Version, string? OldText, string NewText, string ChangedBy, string Source, DateTimeOffset ChangedAt,
    [property: JsonConverter(typeof(JsonStringEnumConverter<MessageStatus>))] MessageStatus Status,
    string? PortalAnswer)
{
    public static VersionView From(MessageVersion v) =>
        new(v.Version, v.OldText, v.NewText, v.ChangedBy, v.Source, v.ChangedAt, v.Status, Localizer.PlainEnglish(v.PortalAnswer));
}
