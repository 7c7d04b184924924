using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Install;
using LiteDB;
using Microsoft.Extensions.Options;

namespace LineBridge.Events;

/// <summary>What the portal said about a received event.</summary>
public enum Verdict
{
    /// <summary>The portal shows what the event says happened.</summary>
    Confirmed,
    /// <summary>The portal shows otherwise: the event is forged, stale or superseded, and is dropped.</summary>
    Refuted,
    /// <summary>No answer that decides it (outage, limits): try again later.</summary>
    Unknown,
}

/// <summary>A verdict and why, in words for the log and the inbox.</summary>
public sealed record Confirmation(Verdict Verdict, string Reason);

/// <summary>
/// Confirms received events with the portal, using the app's own stored tokens (never anything from the event), before
/// they change any state. What counts as confirmation, per event:
/// <list type="bullet">
/// <item><c>ONAPPUNINSTALL</c>: the portal refuses the app's credentials as an uninstalled app's (<see cref="InstallationProbe"/>).</item>
/// <item><c>ONIMCONNECTORSTATUSDELETE</c>: <c>imconnector.status</c> says the connector does not work on the line.</item>
/// <item><c>ONIMCONNECTORLINEDELETE</c>: <c>imopenlines.config.get</c> knows no such line.</item>
/// <item><c>ONIMCONNECTORMESSAGEADD</c>/<c>UPDATE</c>/<c>DELETE</c>: the message read back with <c>im.dialog.messages.get</c>
/// (scope <c>im</c>, <c>DIALOG_ID=chatN</c>, <c>FIRST_ID=id-1</c>, <c>LIMIT=1</c>) exists with that author and text, has that
/// text now, or is gone.</item>
/// </list>
/// Up to 50 events are confirmed in one <c>batch</c> call (one unit of the portal's rate budget).
/// </summary>
public sealed partial class EventConfirmer(
    Bitrix24ClientFactory clients, InstallationProbe probe, IOptions<Bitrix24AppOptions> app, ILogger<EventConfirmer> logger)
{
    /// <summary>Commands in one <c>batch</c> (the portal's limit, §5.4).</summary>
    public const int BatchLimit = 50;

    /// <summary>REST method that reads a dialog's messages (scope <c>im</c>).</summary>
    public const string DialogMessagesMethod = "im.dialog.messages.get";

    private delegate Confirmation Check(JsonElement? result, BatchError? error);

    /// <summary>
    /// Verdicts for as many of <paramref name="events"/> (all of one portal) as fit one <c>batch</c>, plus every
    /// uninstall event (one probe for all). Events left out get no verdict and wait for the next round.
    /// </summary>
    public async Task<IReadOnlyDictionary<ObjectId, Confirmation>> ConfirmAsync(
        string memberId, IReadOnlyList<InboxEvent> events, CancellationToken cancellationToken)
    {
        var verdicts = new Dictionary<ObjectId, Confirmation>();
        var commands = new Dictionary<string, BatchCommand>();
        var checks = new List<(ObjectId Event, List<(string Key, Check Check)> Parts)>();
        var uninstalls = new List<ObjectId>();
        foreach (var inboxEvent in events)
        {
            var e = inboxEvent.ToPortalEvent();
            if (e.Name == PortalEventNames.AppUninstall)
            {
                uninstalls.Add(inboxEvent.Id);
                continue;
            }
            var planned = Plan(e, out var refusal);
            if (planned is null)
            {
                verdicts[inboxEvent.Id] = refusal!;
                continue;
            }
            if (commands.Count + planned.Count > BatchLimit) break;
            var parts = new List<(string, Check)>();
            foreach (var (command, check) in planned)
            {
                var key = "c" + commands.Count.ToString(CultureInfo.InvariantCulture);
                commands[key] = command;
                parts.Add((key, check));
            }
            checks.Add((inboxEvent.Id, parts));
        }

        if (commands.Count > 0)
        {
            try
            {
                var batch = await clients.ForPortal(memberId).BatchAsync(commands, halt: false, cancellationToken);
                foreach (var (id, parts) in checks)
                {
                    var results = parts.Select(p => p.Check(
                        batch.Results.TryGetValue(p.Key, out var r) ? r : null,
                        batch.Errors.TryGetValue(p.Key, out var err) ? err : null)).ToList();
                    verdicts[id] = results.FirstOrDefault(r => r.Verdict == Verdict.Unknown)
                        ?? results.FirstOrDefault(r => r.Verdict == Verdict.Refuted)
                        ?? results[0];
                }
            }
            catch (Bitrix24Exception ex)
            {
                logger.LogWarning("Could not confirm {Count} events of portal {MemberId} ({ErrorCode})", checks.Count, memberId, ex.ErrorCode);
                foreach (var (id, _) in checks) verdicts[id] = new(Verdict.Unknown, $"The portal did not answer the confirmation ({ex.ErrorCode}).");
            }
        }

        if (uninstalls.Count > 0)
        {
            var state = await probe.CheckAsync(memberId, cancellationToken);
            var verdict = state switch
            {
                InstallationState.Gone => new Confirmation(Verdict.Confirmed, "The portal refuses the app's credentials as an uninstalled app's."),
                InstallationState.Installed => new Confirmation(Verdict.Refuted, "The portal still confirms LineBridge's installation."),
                _ => new Confirmation(Verdict.Unknown, "The portal could not say whether LineBridge is still installed."),
            };
            foreach (var id in uninstalls) verdicts[id] = verdict;
        }
        return verdicts;
    }

    /// <summary>The commands and checks that confirm one event; null (with the refusal) when it needs no call to refuse.</summary>
    private List<(BatchCommand, Check)>? Plan(PortalEvent e, out Confirmation? refusal)
    {
        refusal = null;
        var connectorId = app.Value.ConnectorId;
        switch (e.Name)
        {
            case PortalEventNames.StatusDelete:
            {
                if (e.Data("connector") != connectorId) return Refuse(out refusal, "The event is about another connector.");
                if (!int.TryParse(e.Data("line"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var line)) return Refuse(out refusal, "The event names no line.");
                var command = new BatchCommand(Bitrix24Methods.ConnectorStatus, new Dictionary<string, string>
                {
                    ["CONNECTOR"] = connectorId, ["LINE"] = line.ToString(CultureInfo.InvariantCulture),
                });
                return [(command, (result, error) => error is not null ? Unknown(error)
                    : result is { } r && Bitrix24Json.Bool(r, "STATUS")
                        ? new(Verdict.Refuted, $"The connector works on line {line} (again).")
                        : new(Verdict.Confirmed, $"The connector does not work on line {line}."))];
            }
            case PortalEventNames.LineDelete:
            {
                if (!int.TryParse(e.Data(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var line)) return Refuse(out refusal, "The event names no line.");
                var command = new BatchCommand(Bitrix24Methods.OpenLinesConfigGet, new Dictionary<string, string> { ["CONFIG_ID"] = line.ToString(CultureInfo.InvariantCulture) });
                return [(command, (result, error) =>
                    error is { Code: "CONFIG_NOT_FOUND" } ? new(Verdict.Confirmed, $"The portal knows no line {line}.")
                    : error is not null ? Unknown(error)
                    : result is { ValueKind: JsonValueKind.Object } ? new(Verdict.Refuted, $"Line {line} still exists.")
                    : new(Verdict.Confirmed, $"The portal knows no line {line}."))];
            }
            case PortalEventNames.MessageAdd or PortalEventNames.MessageUpdate or PortalEventNames.MessageDelete:
            {
                if (e.Data("CONNECTOR") != connectorId) return Refuse(out refusal, "The event is about another connector.");
                var planned = new List<(BatchCommand, Check)>();
                for (var i = 0; ; i++)
                {
                    var n = i.ToString(CultureInfo.InvariantCulture);
                    var chat = e.Data("MESSAGES", n, "im", "chat_id");
                    var message = e.Data("MESSAGES", n, "im", "message_id");
                    if (chat is null && message is null && e.Data("MESSAGES", n, "chat", "id") is null) break;
                    if (!int.TryParse(chat, NumberStyles.None, CultureInfo.InvariantCulture, out var chatId) ||
                        !int.TryParse(message, NumberStyles.None, CultureInfo.InvariantCulture, out var messageId) || messageId < 1)
                    {
                        return Refuse(out refusal, "A message of the event lacks its im chat or message id.");
                    }
                    var command = new BatchCommand(DialogMessagesMethod, new Dictionary<string, string>
                    {
                        ["DIALOG_ID"] = "chat" + chat, ["FIRST_ID"] = (messageId - 1).ToString(CultureInfo.InvariantCulture), ["LIMIT"] = "1",
                    });
                    var text = e.Data("MESSAGES", n, "message", "text");
                    var author = e.Data("MESSAGES", n, "message", "user_id");
                    planned.Add((command, (result, error) => CheckMessage(e.Name, messageId, text, author, result, error)));
                }
                return planned.Count == 0 ? Refuse(out refusal, "The event carries no message.") : planned;
            }
            default:
                return Refuse(out refusal, $"LineBridge does not apply {e.Name}.");
        }
    }

    private static Confirmation CheckMessage(string eventName, int messageId, string? text, string? author, JsonElement? result, BatchError? error)
    {
        if (error is { Code: "ACCESS_ERROR" }) return new(Verdict.Refuted, "The portal shows no such dialog to LineBridge.");
        if (error is not null) return Unknown(error);
        JsonElement? found = null;
        if (result is { } r && Bitrix24Json.TryGet(r, "messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var m in messages.EnumerateArray())
            {
                if (Bitrix24Json.Int(m, "id") == messageId) found = m;
            }
        }
        var deleted = found is { } d && Bitrix24Json.TryGet(d, "params", out var p) && p.ValueKind == JsonValueKind.Object && Bitrix24Json.String(p, "IS_DELETED") == "Y";
        var edited = found is { } ed && Bitrix24Json.TryGet(ed, "params", out var q) && q.ValueKind == JsonValueKind.Object && Bitrix24Json.String(q, "IS_EDITED") == "Y";
        var portalText = found is { } t ? Bitrix24Json.String(t, "text") ?? "" : null;
        switch (eventName)
        {
            case PortalEventNames.MessageDelete:
                return found is null || deleted
                    ? new(Verdict.Confirmed, $"Message {messageId} is gone from the portal.")
                    : new(Verdict.Refuted, $"Message {messageId} is still on the portal.");
            case PortalEventNames.MessageUpdate:
                if (found is null || deleted) return new(Verdict.Refuted, $"The portal shows no message {messageId}.");
                return SameText(text, portalText!)
                    ? new(Verdict.Confirmed, $"Message {messageId} reads as the event says.")
                    : new(Verdict.Refuted, $"Message {messageId} reads otherwise on the portal (a later edit, or a forged one).");
            default:
                if (found is null || deleted) return new(Verdict.Refuted, $"The portal shows no message {messageId}.");
                if (author is not null && Bitrix24Json.String(found.Value, "author_id") != author)
                {
                    return new(Verdict.Refuted, $"Message {messageId} was written by someone other than the event says.");
                }
                // An edit that overtook this event changed the text; its own event brings the new text.
                return SameText(text, portalText!) || edited
                    ? new(Verdict.Confirmed, $"Message {messageId} is on the portal as the event says.")
                    : new(Verdict.Refuted, $"Message {messageId} reads otherwise on the portal.");
        }
    }

    /// <summary>
    /// The event's text against the portal's: equal, or equal once the operator's signature the portal adds for
    /// connectors (<c>[b]Name:[/b] [br]</c>, §9.8) is taken off.
    /// </summary>
    public static bool SameText(string? eventText, string portalText)
    {
        var posted = (eventText ?? "").Trim();
        var held = portalText.Trim();
        return posted == held || Signature().Replace(posted, "", 1).Trim() == held;
    }

    [GeneratedRegex(@"^\[b\][^\[\]]*:\[/b\]\s*\[br\]\s*", RegexOptions.IgnoreCase)]
    private static partial Regex Signature();

    private static Confirmation Unknown(BatchError error) => new(Verdict.Unknown, $"The portal answered {error.Code}.");

    private static List<(BatchCommand, Check)>? Refuse(out Confirmation? refusal, string reason)
    {
        refusal = new Confirmation(Verdict.Refuted, reason);
        return null;
    }
}
