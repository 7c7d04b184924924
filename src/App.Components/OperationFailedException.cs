namespace LineBridge.Components;

/// <summary>
/// A service could not do what the user asked, for a reason worth showing them (already in their words, e.g.
/// "The portal says the line is inactive (NOT_ACTIVE_LINE)"). Permission failures use
/// <see cref="UnauthorizedAccessException"/>.
/// </summary>
public sealed class OperationFailedException(string reason, Exception? inner = null) : Exception(reason, inner);
