using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using LineBridge.Components.Localization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LineBridge.Components.Messages;

/// <summary>
/// The message table's cells that need no event handler of their own, written as markup strings: a render-tree frame
/// costs 40 bytes twice (the renderer keeps the current and the previous tree, in buffers pooled by powers of two), so
/// a row of elements and attributes held the 25 rows of a page in two 1,024-frame buffers. As markup, the lead cells
/// are one frame and one string per message (built once, <see cref="MessageList"/> keeps it until the message
/// changes), and the action buttons one string per language shared by every row and page. Issue 15 went further:
/// a row is two pieces of markup when it has no button of its own ("Show all", Retry), the message's own part (lead
/// and text cells, <see cref="Head"/>) and the part every row of its status shares (status and actions,
/// <see cref="PlainEnd"/>), so 25 rows fit two 256-frame buffers instead of two of 1,024 without each row holding its
/// own copy of markup that every row has.
/// </summary>
internal static class RowMarkup
{
    /// <summary><c>data-action</c> of the Edit button (see <see cref="RowActionEventArgs"/>).</summary>
    public const string EditAction = "edit";

    /// <summary><c>data-action</c> of the History button.</summary>
    public const string HistoryAction = "history";

    // Encodes what HTML needs (&, <, >, quotes) and leaves every script as it is: Russian names stay one character each.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    // Material icons' paths, drawn inline.
    private const string EditIcon = "<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path d=\"M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zM20.71 7.04a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z\"/></svg>";
    private const string HistoryIcon = "<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path d=\"M13 3a9 9 0 0 0-9 9H1l3.89 3.89.07.14L9 12H6c0-3.87 3.13-7 7-7s7 3.13 7 7-3.13 7-7 7c-1.93 0-3.68-.79-4.94-2.06l-1.42 1.42A8.954 8.954 0 0 0 13 21a9 9 0 0 0 0-18zm-1 5v5l4.28 2.54.72-1.21-3.5-2.08V8H12z\"/></svg>";
    private const string FileIcon = "<svg class=\"lb-file-icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path d=\"M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z\"/></svg>";
    private const string ReplyIconPath = "<path d=\"M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z\"/>";

    private static readonly ConcurrentDictionary<(string Language, bool CanEdit), MarkupString> ActionCells = new();

    /// <summary>
    /// The time (the user's time zone, UTC on hover), chat (name, and id under it when the name is known) and user
    /// (with the reply mark for an operator's answer) cells of one row, with the test ids the page has always had.
    /// </summary>
    public static MarkupString LeadCells(SentMessage m, Localizer loc)
    {
        var html = new StringBuilder(384);
        html.Append("<td data-testid=\"message-row\" data-message-id=\"").Append(Encode(m.Id)).Append("\" class=\"lb-nowrap\">")
            .Append("<time datetime=\"").Append(m.CreatedAt.ToUniversalTime().ToString("O")).Append("\" title=\"").Append(Encode(loc.FormatUtc(m.CreatedAt)))
            .Append("\" data-testid=\"message-time\">").Append(Encode(loc.FormatTime(m.CreatedAt))).Append("</time></td>");
        html.Append("<td data-testid=\"message-chat\"><div>").Append(Encode(m.ChatName ?? m.ChatId)).Append("</div>");
        if (m.ChatName is not null)
            html.Append("<div class=\"lb-chat-id\" data-testid=\"message-chat-id\">").Append(Encode(m.ChatId)).Append("</div>");
        html.Append("</td><td data-testid=\"message-user\">");
        if (m.Direction == MessageDirection.Outgoing)
        {
            // An operator's reply, forwarded to the external system: say so, with the operator's name.
            var outgoing = Encode(loc["Messages.Outgoing"]);
            html.Append("<span data-testid=\"direction-outgoing\" title=\"").Append(outgoing).Append("\">")
                .Append("<svg viewBox=\"0 0 24 24\" width=\"16\" height=\"16\" role=\"img\" aria-label=\"").Append(outgoing)
                .Append("\" style=\"vertical-align: middle; fill: currentColor\">").Append(ReplyIconPath).Append("</svg></span> ");
        }
        html.Append(Encode(loc.DescribePerson(m.ExternalUserName ?? m.ExternalUserId))).Append("</td>");
        return (MarkupString)html.ToString();
    }

    private static readonly ConcurrentDictionary<(string Language, MessageStatus Status, bool CanEdit), MarkupString> PlainRowEnds = new();

    /// <summary>
    /// The lead cells and, when the text needs no "Show all", the text cell (the text clamped, its files, who edited it):
    /// the part of a row that is the message's own, one string built once per message (<see cref="MessageList"/> keeps it
    /// until the message changes).
    /// </summary>
    public static MarkupString Head(SentMessage m, Localizer loc, bool withText)
    {
        var html = new StringBuilder(512).Append(LeadCells(m, loc).Value);
        if (withText)
        {
            html.Append("<td>");
            AppendText(html, m, expanded: false);
            AppendTextTail(html, m, loc).Append("</td>");
        }
        return (MarkupString)html.ToString();
    }

    /// <summary>
    /// The status and actions cells of a row whose status says no more than its name (no reason, no older text at the
    /// portal, nothing to retry: most rows), the same for every such row: one string per language, status and
    /// editability, shared by every row and page. Null for a row whose status cell is its own.
    /// </summary>
    public static MarkupString? PlainEnd(SentMessage m, Localizer loc, bool canEdit)
    {
        if (MessageStatusView.Reason(m, loc) is not null || MessageStatusView.ShowsPortalText(m) || MessageStatusView.CanRetry(m))
            return null;
        return PlainRowEnds.GetOrAdd((loc.Language, m.Status, canEdit), _ =>
            (MarkupString)(AppendStatus(new StringBuilder(1024).Append("<td>"), m, loc).Append("</td>").ToString() + Actions(loc, canEdit).Value));
    }

    /// <summary>The status cell of a row that says more than its status (a reason, the portal's older text) and has nothing to retry.</summary>
    public static MarkupString StatusCell(SentMessage m, Localizer loc) =>
        (MarkupString)AppendStatus(new StringBuilder(256).Append("<td>"), m, loc).Append("</td>").ToString();

    /// <summary>The message's text (BBCode as HTML), clamped to a few lines unless expanded.</summary>
    public static MarkupString Text(SentMessage m, bool expanded) => (MarkupString)AppendText(new StringBuilder(256), m, expanded).ToString();

    /// <summary>What follows the text and its "Show all": the files (links) and who last edited it; empty when neither.</summary>
    public static MarkupString TextTail(SentMessage m, Localizer loc) => (MarkupString)AppendTextTail(new StringBuilder(), m, loc).ToString();

    /// <summary>The status (icon and name, the reason on hover), the reason written out, and the text the portal still shows.</summary>
    public static MarkupString Status(SentMessage m, Localizer loc) => (MarkupString)AppendStatus(new StringBuilder(256), m, loc).ToString();

    private static StringBuilder AppendText(StringBuilder html, SentMessage m, bool expanded) =>
        html.Append("<div class=\"lb-message-text").Append(expanded ? "" : " lb-clamp").Append("\" id=\"text-").Append(Encode(m.Id))
            .Append("\" data-testid=\"message-text\">").Append(BbCode.ToHtml(m.Text)).Append("</div>");

    private static StringBuilder AppendTextTail(StringBuilder html, SentMessage m, Localizer loc)
    {
        if (m.Files.Count > 0)
        {
            html.Append("<ul class=\"lb-files\" aria-label=\"").Append(Encode(loc["Messages.Files"])).Append("\" data-testid=\"message-files\">");
            foreach (var file in m.Files)
            {
                html.Append("<li>").Append(FileIcon).Append(" <a href=\"").Append(Encode(file.Url))
                    .Append("\" target=\"_blank\" rel=\"noopener noreferrer\" data-testid=\"message-file\">").Append(Encode(file.Name)).Append("</a></li>");
            }
            html.Append("</ul>");
        }
        if (m.IsEdited)
        {
            html.Append("<div class=\"lb-muted\" data-testid=\"edited-mark\">")
                .Append(Encode(m.LastEditedBy is { } by ? loc.Format("Messages.EditedBy", loc.DescribePerson(by)) : loc["Messages.Edited"])).Append("</div>");
        }
        return html;
    }

    private static StringBuilder AppendStatus(StringBuilder html, SentMessage m, Localizer loc)
    {
        var reason = MessageStatusView.Reason(m, loc);
        var colour = MessageStatusView.Colour(m.Status);
        html.Append("<span class=\"lb-status lb-status-").Append(colour).Append('"');
        if (reason is not null)
            html.Append(" title=\"").Append(Encode(reason)).Append('"');
        html.Append(" data-testid=\"status-chip\" data-status=\"").Append(m.Status.ToString()).Append("\">")
            .Append(MessageStatusView.IconSvg(m.Status)).Append(Encode(loc[$"Status.{m.Status}"])).Append("</span>");
        if (reason is not null)
        {
            html.Append("<div class=\"lb-reason lb-reason-").Append(colour).Append("\" data-testid=\"")
                .Append(m.Status == MessageStatus.Failed ? "failure-reason" : "status-reason").Append("\">").Append(Encode(reason)).Append("</div>");
        }
        if (MessageStatusView.ShowsPortalText(m))
            html.Append("<div class=\"lb-reason\" data-testid=\"portal-text\">").Append(Encode(loc.Format("Messages.PortalHas", m.PortalText ?? ""))).Append("</div>");
        return html;
    }

    private static readonly ConcurrentDictionary<string, MarkupString> Headers = new();
    private static readonly ConcurrentDictionary<string, MarkupString> RetryLabels = new();

    /// <summary>The table's head: the column names (the actions column's for screen readers only), one string per language.</summary>
    public static MarkupString Header(Localizer loc) =>
        Headers.GetOrAdd(loc.Language, _ =>
        {
            var html = new StringBuilder("<thead><tr>");
            foreach (var column in new[] { "Time", "Chat", "User", "Text", "Status" })
                html.Append("<th scope=\"col\">").Append(Encode(loc["Messages.Column." + column])).Append("</th>");
            html.Append("<th scope=\"col\"><span class=\"mud-typography-srOnly\">").Append(Encode(loc["Messages.Column.Actions"])).Append("</span></th>");
            return (MarkupString)html.Append("</tr></thead>").ToString();
        });

    /// <summary>The Retry button's content (icon and label), one string per language.</summary>
    public static MarkupString RetryLabel(Localizer loc) =>
        RetryLabels.GetOrAdd(loc.Language, _ => (MarkupString)("<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\">" + Icons.Material.Outlined.Replay + "</svg>" + Encode(loc["Messages.Retry"])));

    /// <summary>The actions cell: Edit (incoming messages not deleted) and History, answered by the table's @onrowaction.</summary>
    public static MarkupString Actions(Localizer loc, bool canEdit) =>
        ActionCells.GetOrAdd((loc.Language, canEdit), key =>
        {
            var html = new StringBuilder("<td class=\"lb-nowrap\" style=\"text-align: right\">");
            if (key.CanEdit)
                Button(html, EditAction, "edit-button", loc["Messages.Edit"], EditIcon);
            Button(html, HistoryAction, "history-button", loc["Messages.History"], HistoryIcon);
            return (MarkupString)html.Append("</td>").ToString();
        });

    private static void Button(StringBuilder html, string action, string testId, string label, string icon)
    {
        var text = Encode(label);
        html.Append("<button type=\"button\" class=\"lb-icon-button\" aria-label=\"").Append(text).Append("\" title=\"").Append(text)
            .Append("\" data-action=\"").Append(action).Append("\" data-testid=\"").Append(testId).Append("\">").Append(icon).Append("</button>");
    }

    private static string Encode(string value) => Encoder.Encode(value);
}
