using MudBlazor;

namespace LineBridge.Components.Messages;

/// <summary>
/// How a message's status reads in a table row: its colour, icon, the reason shown beside it, whether it may be
/// retried and whether the portal still shows an older text. The row renders these as plain markup (no component per
/// row: a page of rows must stay light in the circuit's memory).
/// </summary>
internal static class MessageStatusView
{
    /// <summary>The CSS colour suffix of <c>lb-status-*</c> / <c>lb-reason-*</c>.</summary>
    public static string Colour(MessageStatus status) => status switch
    {
        MessageStatus.Sent => "success",
        MessageStatus.Failed => "error",
        MessageStatus.Queued => "info",
        MessageStatus.Waiting => "warning",
        _ => "default",
    };

    /// <summary>The Material icon's SVG content for the status.</summary>
    public static string Icon(MessageStatus status) => status switch
    {
        MessageStatus.Sent => Icons.Material.Outlined.DoneAll,
        MessageStatus.Failed => Icons.Material.Outlined.ErrorOutline,
        MessageStatus.Queued => Icons.Material.Outlined.Schedule,
        MessageStatus.Waiting => Icons.Material.Outlined.HourglassEmpty,
        _ => Icons.Material.Outlined.DeleteOutline,
    };

    private static readonly Dictionary<MessageStatus, string> IconSvgs = Enum.GetValues<MessageStatus>().ToDictionary(
        status => status, status => $"<svg viewBox=\"0 0 24 24\" width=\"16\" height=\"16\" aria-hidden=\"true\">{Icon(status)}</svg>");

    /// <summary>
    /// The status's icon as a whole SVG element (markup): one render-tree frame per row instead of an element, its
    /// attributes and its content; 25 rows must stay under 2,048 frames (the size the renderer's buffers double at).
    /// </summary>
    public static string IconSvg(MessageStatus status) => IconSvgs[status];

    /// <summary>Why the message failed, waits, or still waits to retry, in the page's language; null when there is nothing to say.</summary>
    public static string? Reason(SentMessage message, Localization.Localizer loc) =>
        message.Status is MessageStatus.Failed or MessageStatus.Queued or MessageStatus.Waiting && !string.IsNullOrEmpty(message.FailureReason)
            ? loc.DescribeReason(message.FailureReason)
            : null;

    /// <summary>A failed message the external system sent may be queued again; operators' replies are retried by their dispatcher.</summary>
    public static bool CanRetry(SentMessage message) =>
        message.Status == MessageStatus.Failed && message.Direction == MessageDirection.Incoming;

    /// <summary>The portal accepted an older text and a newer one has not reached it (yet, or at all).</summary>
    public static bool ShowsPortalText(SentMessage message) =>
        message.PortalText is not null && message.PortalText != message.Text
        && message.Status is MessageStatus.Queued or MessageStatus.Waiting or MessageStatus.Failed;
}
