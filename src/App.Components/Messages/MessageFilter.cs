namespace LineBridge.Components.Messages;

/// <summary>What the message table shows; the page keeps it in the URL so a reload lands on the same view.</summary>
public sealed record MessageFilter(string? ChatId = null, MessageStatus? Status = null, string? Text = null, int Page = 0)
{
    public bool IsEmpty => string.IsNullOrEmpty(ChatId) && Status is null && string.IsNullOrEmpty(Text);
}
