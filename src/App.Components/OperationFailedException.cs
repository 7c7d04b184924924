using LineBridge.Components.Localization;

namespace LineBridge.Components;

/// <summary>
/// A service could not do what the user asked, for a reason worth showing them. Services raise it with a
/// <see cref="LocalText"/> (<see cref="Text"/>), which the UI shows in the user's language; <see cref="Exception.Message"/>
/// is the same text in English, for logs. Permission failures use <see cref="UnauthorizedAccessException"/>.
/// </summary>
public sealed class OperationFailedException : Exception
{
    /// <summary>A failure told in English only (older callers); the UI shows <paramref name="reason"/> as it is.</summary>
    public OperationFailedException(string reason, Exception? inner = null) : base(reason, inner)
    {
    }

    /// <summary>A failure the UI tells in the user's language.</summary>
    public OperationFailedException(LocalText text, Exception? inner = null)
        : base(Localizer.PlainEnglish(text.Encode()), inner)
    {
        Text = text;
    }

    /// <summary>The failure as a language-neutral text, rendered by <see cref="Localizer.Explain"/>; null for older callers.</summary>
    public LocalText? Text { get; }

    /// <summary>
    /// The portal's error code behind the failure (<c>NOT_ACTIVE_LINE</c>, <c>QUERY_LIMIT_EXCEEDED</c>), when there is
    /// one: the UI tells it as a sentence in the user's language and falls back to <see cref="Exception.Message"/>.
    /// </summary>
    public string? PortalErrorCode { get; init; }
}
