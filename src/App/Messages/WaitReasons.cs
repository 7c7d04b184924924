namespace LineBridge.Messages;

/// <summary>
/// What a waiting message waits for, in the words shown to operators (the UI) and to the external system (the API):
/// each says why the work cannot go out now and who does what so that it does.
/// </summary>
public static class WaitReasons
{
    /// <summary>The connector is not connected to the line (disconnected here, in Contact Center, or by the portal).</summary>
    public static string LineDisconnected(int line) =>
        $"Waiting: open line {line} is not connected to LineBridge. It goes out once an administrator connects the line again (LineBridge → Open lines → Connect).";

    /// <summary>The portal uninstalled the app.</summary>
    public static string AppUninstalled(int line) =>
        $"Waiting: LineBridge is not installed on the portal (it was uninstalled). It goes out once an administrator installs LineBridge again and connects open line {line}.";

    /// <summary>The portal refused the app's tokens (revoked: usually an uninstall whose event has not arrived yet).</summary>
    public static string TokensRefused(string errorCode) =>
        $"Waiting: the portal refused LineBridge's access ({errorCode}). It goes out once LineBridge is authorised again: an administrator opens LineBridge in the portal, or installs it again.";

    /// <summary>The portal answered <c>PAYMENT_REQUIRED</c>.</summary>
    public const string PaymentRequired =
        "Waiting: the portal's paid period for LineBridge is over (PAYMENT_REQUIRED). Nothing is lost; it goes out once the portal's administrator renews the subscription in Bitrix24.";

    /// <summary>
    /// LineBridge paces itself: the portal's execution-time budget for the method (protocol reference §5.2, 480 s per
    /// 10 minutes on the cloud) is spent, and a call now would be refused with <c>OPERATION_TIME_LIMIT</c>.
    /// </summary>
    public static string OperatingBudget(string method, DateTime untilUtc) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Waiting: the portal's execution-time budget for {method} is used up for now (Bitrix24 allows each method a fixed number of seconds per 10 minutes). It goes out by itself at {untilUtc:HH:mm:ss} UTC.");

    /// <summary>An operator's reply on a line with no webhook address.</summary>
    public static string NoWebhook(int line) =>
        $"Waiting for an address: no webhook is set for open line {line}. An administrator sets it in LineBridge → Open lines → Replies to the external system; the reply goes out then.";
}
