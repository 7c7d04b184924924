namespace LineBridge.Components;

/// <summary>
/// A service could not do what the user asked, for a reason worth showing them (already in their words, e.g.
/// "The portal says the line is inactive (NOT_ACTIVE_LINE)"). Permission failures use
/// <see cref="UnauthorizedAccessException"/>.
/// </summary>
public sealed class OperationFailedException(string reason, Exception? inner = null) : Exception(reason, inner)
{
    /// <summary>
    /// The portal's error code behind the failure (<c>NOT_ACTIVE_LINE</c>, <c>QUERY_LIMIT_EXCEEDED</c>), when there is
    /// one: the UI tells it as a sentence in the user's language and falls back to <see cref="Exception.Message"/>.
    /// </summary>
    public string? PortalErrorCode { get; init; }
}
