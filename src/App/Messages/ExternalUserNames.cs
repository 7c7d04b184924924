using System.Globalization;
using System.Text;

namespace LineBridge.Messages;

/// <summary>
/// Makes an external user's <c>name</c> / <c>last_name</c> fit the documented rule before it reaches the portal:
/// at most <see cref="MaxLength"/> characters of letters, spaces, hyphens and apostrophes (protocol reference §9.1,
/// from the <c>imconnector.send.messages</c> docs; the server's enforcement is unconfirmed, so we neither rely on it
/// nor risk its refusal or a mangled CRM contact). Only what goes out is normalised; our log keeps the original.
/// </summary>
public static class ExternalUserNames
{
    /// <summary>The documented maximum length of each of <c>name</c> and <c>last_name</c>.</summary>
    public const int MaxLength = 25;

    /// <summary>
    /// The name as the portal should get it: other characters (digits, punctuation, emoji) dropped, typographic
    /// apostrophes made plain, runs of spaces and hyphens collapsed, cut at a word boundary within
    /// <see cref="MaxLength"/>. Null when nothing usable is left (the portal then names the guest itself).
    /// </summary>
    public static string? Normalise(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var kept = new StringBuilder(name.Length);
        foreach (var rune in name.Normalize(NormalizationForm.FormC).EnumerateRunes())
        {
            if (IsLetter(rune))
            {
                kept.Append(rune.ToString());
                continue;
            }
            var separator = SeparatorFor(rune);
            // Other characters are dropped; separators never lead and never repeat.
            if (separator is { } c && kept.Length > 0 && kept[^1] is not (' ' or '-' or '\'')) kept.Append(c);
        }
        var text = kept.ToString().TrimEnd(' ', '-', '\'');
        if (text.Length == 0) return null;
        if (text.Length <= MaxLength) return text;
        // Cut at the last separator that keeps whole words, else hard at the limit (not inside a surrogate pair).
        var cut = text.LastIndexOfAny([' ', '-'], MaxLength);
        var end = cut > 0 ? cut : MaxLength;
        if (char.IsHighSurrogate(text[end - 1])) end--;
        return text[..end].TrimEnd(' ', '-', '\'');
    }

    private static bool IsLetter(Rune rune) =>
        Rune.IsLetter(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static char? SeparatorFor(Rune rune) => rune.Value switch
    {
        '\'' or '\u2019' or '\u02BC' or '`' => '\'',
        '-' or '\u2010' or '\u2011' or '\u2013' => '-',
        '_' or '.' or ',' => ' ',
        _ when Rune.IsWhiteSpace(rune) => ' ',
        _ => null,
    };
}
