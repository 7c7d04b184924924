using System.Globalization;
using LineBridge.Components.Localization;

namespace LineBridge.Messages;

/// <summary>
/// What a waiting, retrying or refused message waits for, recorded language-neutral (a <see cref="LocalText"/>: a key
/// of the UI's strings and its arguments): the UI tells it in the viewer's language, the API in English
/// (<see cref="Localizer.PlainEnglish"/>). Each says why the work cannot go out now and who does what so that it does.
/// </summary>
public static class WaitReasons
{
    /// <summary>The connector is not connected to the line (disconnected here, in Contact Center, or by the portal).</summary>
    public static string LineDisconnected(int line) => Text("Reason.LineDisconnected", line);

    /// <summary>The portal uninstalled the app.</summary>
    public static string AppUninstalled(int line) => Text("Reason.AppUninstalled", line);

    /// <summary>The portal refused the app's tokens (revoked: usually an uninstall whose event has not arrived yet).</summary>
    public static string TokensRefused(string errorCode) => Text("Reason.TokensRefused", errorCode);

    /// <summary>The portal answered <c>PAYMENT_REQUIRED</c>.</summary>
    public static readonly string PaymentRequired = Text("Reason.PaymentRequired");

    /// <summary>
    /// LineBridge paces itself: the portal's execution-time budget for the method (protocol reference §5.2, 480 s per
    /// 10 minutes on the cloud) is spent, and a call now would be refused with <c>OPERATION_TIME_LIMIT</c>.
    /// </summary>
    public static string OperatingBudget(string method, DateTime untilUtc) =>
        Text("Reason.OperatingBudget", method, untilUtc.ToString("HH:mm:ss", CultureInfo.InvariantCulture));

    /// <summary>
    /// An edit that never went out on its own: a newer edit of the same message was queued before it left and carried
    /// the text (the portal keeps only the last one).
    /// </summary>
    public static string SupersededBy(int version) => Text("Reason.SupersededBy", version);

    /// <summary>An operator's reply on a line with no webhook address.</summary>
    public static string NoWebhook(int line) => Text("Reason.NoWebhook", line);

    /// <summary>
    /// Work that failed for a passing reason and is tried again: the attempt it is at, when the next try is (UTC),
    /// and the reason (the portal's <c>CODE: description</c>). The UI tells the wait as "in 20 s".
    /// </summary>
    public static string Retry(int attempt, DateTime nextTryUtc, string reason) =>
        new LocalText(Localizer.RetryCode,
            attempt.ToString(CultureInfo.InvariantCulture),
            nextTryUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            reason).Encode();

    /// <summary>The line was deleted in the portal: the work can never go out.</summary>
    public static string LineDeleted(int line) => Text("Reason.LineDeleted", line);

    /// <summary>The portal refused one message of a call and named no error for it.</summary>
    public static readonly string RefusedWithoutReason = Text("Reason.RefusedWithoutReason");

    private static string Text(string code, params object[] args) =>
        new LocalText(code, [.. args.Select(a => Convert.ToString(a, CultureInfo.InvariantCulture) ?? "")]).Encode();
}
