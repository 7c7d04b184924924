namespace LineBridge.Messages;

/// <summary>Settings of the send API, the message log and the outbox. Section <c>Messages</c>.</summary>
public sealed class MessageOptions
{
    public const string Section = "Messages";

    /// <summary>The longest message text the portal takes (IM's limit; longer texts would be cut).</summary>
    public int MaxTextLength { get; set; } = 20_000;

    /// <summary>The most messages one API request may carry.</summary>
    public int MaxMessagesPerRequest { get; set; } = 100;

    /// <summary>The most outbox items that travel together in one call's <c>MESSAGES</c>.</summary>
    public int BatchSize { get; set; } = 50;

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
