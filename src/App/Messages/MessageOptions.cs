namespace LineBridge.Messages;

/// <summary>Settings of the send API, the message log and the outbox. Section <c>Messages</c>.</summary>
public sealed class MessageOptions
{
    public const string Section = "Messages";

    /// <summary>The longest message text the portal takes (IM's limit; longer texts would be cut).</summary>
    public int MaxTextLength { get; set; } = 20_000;

    /// <summary>The most messages one API request may carry.</summary>
    public int MaxMessagesPerRequest { get; set; } = 100;

    /// <summary>
    /// The most outbox items that travel together in one call's <c>MESSAGES</c>. The portal documents no limit on
    /// its length (protocol reference §5.3); what bounds a call is its body (<see cref="MaxCallBytes"/>) and its
    /// execution time (the cloud interrupts a request after 60 s), which the dispatcher sizes from the portal's
    /// measured cost per message.
    /// </summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// The largest <c>MESSAGES</c> body one call may carry, in bytes (estimated before sending). The portal documents no
    /// request size limit; PHP's default <c>post_max_size</c> is 8 MB, so calls stay well under it.
    /// </summary>
    public long MaxCallBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// How many calls to one portal may be out at once (the request bucket and the operating-time budget still pace
    /// them). Sends of one line always go one after another, so a dialog keeps its order.
    /// </summary>
    public int MaxCallsInFlightPerPortal { get; set; } = 4;

    /// <summary>
    /// Whether one delivery's small calls for different lines and methods of a portal travel together in one
    /// <c>batch</c> request (up to 50 commands, within <see cref="MaxCallBytes"/>), which spends one unit of the portal's
    /// request bucket instead of one per call. Sends of a line stay one call after another: at most one of a line's
    /// send calls per batch. A call of at least half <see cref="BatchSize"/> elements still goes on its own, and so does
    /// a lone one. Off: every call is its own request (the benches compare both).
    /// </summary>
    public bool PackLinesInBatch { get; set; } = true;

    /// <summary>First delay after a transient failure; it doubles with each attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the dispatcher looks at the outbox when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// While a portal answers <c>PAYMENT_REQUIRED</c>, how often one call finds out whether it has paid; all other
    /// calls for it stop meanwhile.
    /// </summary>
    public TimeSpan PaymentProbeInterval { get; set; } = TimeSpan.FromMinutes(10);
}
