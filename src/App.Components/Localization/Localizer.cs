using System.Globalization;
using System.Resources;

namespace LineBridge.Components.Localization;

/// <summary>
/// The UI's strings in the portal's language. Blazor Server reuses threads across circuits, so setting
/// <see cref="CultureInfo.CurrentUICulture"/> per component is unreliable; pages make one of these from
/// <c>PortalSession.Language</c> and cascade it to their children (dialogs get it as a parameter).
/// </summary>
public sealed class Localizer
{
    private static readonly ResourceManager Resources =
        new("LineBridge.Components.Localization.Texts", typeof(Localizer).Assembly);

    public static Localizer English { get; } = new(CultureInfo.GetCultureInfo("en"));

    private Localizer(CultureInfo culture) => Culture = culture;

    /// <summary>The portal's culture; also used to format dates and numbers.</summary>
    public CultureInfo Culture { get; }

    public string Language => Culture.TwoLetterISOLanguageName;

    /// <summary>A localizer for a portal's <c>LANG</c>; unknown or missing languages fall back to English.</summary>
    public static Localizer For(string? language)
    {
        if (string.IsNullOrWhiteSpace(language))
            return English;
        try
        {
            return new Localizer(CultureInfo.GetCultureInfo(language.Trim()));
        }
        catch (CultureNotFoundException)
        {
            return English;
        }
    }

    /// <summary>The text for <paramref name="key"/>; a missing key shows itself, so a gap is visible and testable.</summary>
    public string this[string key] => Resources.GetString(key, Culture) ?? key;

    public string Format(string key, params object?[] args) => string.Format(Culture, this[key], args);

    /// <summary>Times are shown in UTC: the server cannot know the viewer's time zone.</summary>
    public string FormatTime(DateTimeOffset time) => time.ToUniversalTime().ToString("g", Culture) + " UTC";
}
