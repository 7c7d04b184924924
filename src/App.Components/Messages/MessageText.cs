using LineBridge.Components.Localization;

namespace LineBridge.Components.Messages;

/// <summary>The checks a message text must pass before it is worth sending to the server.</summary>
internal static class MessageText
{
    /// <summary>What is wrong with <paramref name="text"/> in the user's language, or null when it is fine.</summary>
    public static string? Validate(string? text, int maxLength, Localizer loc)
    {
        if (string.IsNullOrWhiteSpace(text))
            return loc["Validation.Empty"];
        // Code points, as the portal counts (PHP mb_strlen): an emoji is one character.
        var length = 0;
        foreach (var _ in text.EnumerateRunes()) length++;
        if (length > maxLength)
            return loc.Format("Validation.TooLong", length, maxLength);
        return null;
    }
}
