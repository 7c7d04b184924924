using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;

namespace LineBridge.Components.Localization;

/// <summary>
/// The UI's strings in the portal's language, and times in the viewer's time zone. Blazor Server reuses threads
/// across circuits, so setting <see cref="CultureInfo.CurrentUICulture"/> per component is unreliable; pages make one
/// of these from <c>PortalSession.Language</c> (and the user's time zone) and cascade it to their children (dialogs
/// get it as a parameter).
/// </summary>
public sealed partial class Localizer
{
    private static readonly ResourceManager Resources =
        new("LineBridge.Components.Localization.Texts", typeof(Localizer).Assembly);

    public static Localizer English { get; } = new(CultureInfo.GetCultureInfo("en"), TimeZoneInfo.Utc);

    private Localizer(CultureInfo culture, TimeZoneInfo timeZone)
    {
        Culture = culture;
        TimeZone = timeZone;
    }

    /// <summary>The portal's culture; also used to format dates and numbers.</summary>
    public CultureInfo Culture { get; }

    /// <summary>Where times are shown: the user's Bitrix24 time zone, else the browser's, else UTC.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>The two-letter language (<c>en</c>, <c>ru</c>) the page is written in; the page's <c>lang</c>.</summary>
    public string Language => Culture.TwoLetterISOLanguageName;

    /// <summary>A localizer for a portal's <c>LANG</c>; unknown or missing languages fall back to English.</summary>
    public static Localizer For(string? language)
    {
        if (string.IsNullOrWhiteSpace(language))
            return English;
        try
        {
            return new Localizer(CultureInfo.GetCultureInfo(language.Trim()), TimeZoneInfo.Utc);
        }
        catch (CultureNotFoundException)
        {
            return English;
        }
    }

    /// <summary>
    /// The same language, showing times in <paramref name="timeZoneId"/> (an IANA id such as <c>Europe/Moscow</c>, as
    /// Bitrix24's user data and the browser give it). An unknown or empty id keeps UTC.
    /// </summary>
    public Localizer WithTimeZone(string? timeZoneId)
    {
        if (string.IsNullOrWhiteSpace(timeZoneId))
            return this;
        try
        {
            return new Localizer(Culture, TimeZoneInfo.FindSystemTimeZoneById(timeZoneId.Trim()));
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return this;
        }
    }

    /// <summary>The text for <paramref name="key"/>; a missing key shows itself, so a gap is visible and testable.</summary>
    public string this[string key] => Resources.GetString(key, Culture) ?? key;

    public string Format(string key, params object?[] args) => string.Format(Culture, this[key], args);

    /// <summary>A time in the viewer's time zone, as people read it (<c>30/11/2026 10:05</c>).</summary>
    public string FormatTime(DateTimeOffset time) =>
        TimeZoneInfo.ConvertTime(time, TimeZone).ToString("g", Culture);

    /// <summary>The same time in UTC with its zone named, for the hover title beside <see cref="FormatTime"/>.</summary>
    public string FormatUtc(DateTimeOffset time) => time.ToUniversalTime().ToString("g", Culture) + " UTC";

    /// <summary>
    /// A portal error code (<c>NOT_ACTIVE_LINE</c>, <c>QUERY_LIMIT_EXCEEDED</c>, an HTTP status) as a sentence in the
    /// page's language; null when there is no sentence for it, so the caller shows the portal's own words.
    /// </summary>
    public string? DescribePortalError(string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
            return null;
        var key = "PortalError." + code.Trim();
        var text = Resources.GetString(key, Culture);
        return text;
    }

    /// <summary>
    /// A service's failure in the user's language: the portal's code as a sentence when there is one for it, else its
    /// <see cref="OperationFailedException.Text"/>, else the service's (English) words.
    /// </summary>
    public string Explain(OperationFailedException failure) =>
        DescribePortalError(failure.PortalErrorCode) is { } sentence ? $"{sentence} ({failure.PortalErrorCode})"
        : failure.Text is { } text ? Render(text)
        : DescribeReason(failure.Message);

    /// <summary>
    /// A recorded text in the page's language: its string with the arguments filled in (an argument that is itself an
    /// encoded text, such as a retry's reason, is described too). An unknown code shows the code, so a gap is visible.
    /// </summary>
    public string Render(LocalText text)
    {
        if (text.Code == RetryCode) return DescribeRetry(text, now: null);
        var args = text.Args.Select(a => (object?)(LocalText.Decode(a) is { } inner ? Render(inner) : a)).ToArray();
        try
        {
            return string.Format(Culture, this[text.Code], args);
        }
        catch (FormatException)
        {
            // Fewer arguments than the string expects (a text recorded by another version): show what there is.
            return this[text.Code] + (args.Length > 0 ? " (" + string.Join(", ", args) + ")" : "");
        }
    }

    /// <summary>
    /// A recorded reason or problem in plain English, as the API and logs give it: an encoded text rendered with the
    /// English strings (a retry in its fixed, parseable shape), a plain text as it is. Null stays null.
    /// </summary>
    public static string? PlainEnglish(string? recorded) =>
        recorded is null ? null : LocalText.ReplaceEncoded(recorded, English.RenderPlain);

    private string RenderPlain(LocalText text)
    {
        var args = text.Args.Select(a => (object?)(LocalText.Decode(a) is { } inner ? RenderPlain(inner) : a)).ToArray();
        var key = text.Code == RetryCode ? RetryCode + ".Plain" : text.Code;
        try
        {
            return string.Format(Culture, this[key], args);
        }
        catch (FormatException)
        {
            return this[key];
        }
    }

    /// <summary>The code of a retry: arguments are the attempt, the next try (ISO-8601 UTC) and the reason.</summary>
    public const string RetryCode = "Reason.Retry";

    private string DescribeRetry(LocalText retry, DateTimeOffset? now)
    {
        var reason = retry.Args.Count > 2 ? DescribeReason(retry.Args[2], now) : "";
        var attempt = retry.Args.Count > 0 ? retry.Args[0] : "?";
        if (retry.Args.Count > 1
            && DateTimeOffset.TryParse(retry.Args[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var next))
        {
            return Format("Status.RetryReason", reason, attempt, FormatWait(next - (now ?? DateTimeOffset.UtcNow)));
        }
        return Format("Status.WaitingReason", reason);
    }

    /// <summary>
    /// A failure, waiting or retry reason as recorded, told as a sentence in the page's language: an encoded
    /// <see cref="LocalText"/> (what LineBridge records now), or a plain text recorded before or by the portal,
    /// <c>CODE: the portal's description</c> (optionally inside <c>Waiting to retry (…)</c>), with the code kept for
    /// support. Plain reasons without a known code are shown as they were recorded.
    /// </summary>
    public string DescribeReason(string reason, DateTimeOffset? now = null)
    {
        if (LocalText.Decode(reason) is { } recorded)
            return recorded.Code == RetryCode ? DescribeRetry(recorded, now) : Render(recorded);
        // An older plain text may quote a newer encoded one (a refusal naming a recorded reason).
        reason = LocalText.ReplaceEncoded(reason, Render);
        var retry = RetryReason().Match(reason);
        var waiting = retry.Success ? retry : WaitingReason().Match(reason);
        var inner = retry.Success ? retry.Groups[3].Value : waiting.Success ? waiting.Groups[1].Value : reason;
        var coded = CodedReason().Match(inner);
        var sentence = coded.Success && DescribePortalError(coded.Groups[1].Value) is { } known
            ? $"{known} ({coded.Groups[1].Value})"
            : inner;
        if (retry.Success
            && DateTimeOffset.TryParse(retry.Groups[2].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var next))
        {
            var wait = next - (now ?? DateTimeOffset.UtcNow);
            return Format("Status.RetryReason", sentence, retry.Groups[1].Value, FormatWait(wait));
        }
        return waiting.Success ? Format("Status.WaitingReason", sentence) : sentence;
    }

    /// <summary>A short wait as people say it: "in 20 s", "in 3 min"; "now" once it is due.</summary>
    private string FormatWait(TimeSpan wait) =>
        wait <= TimeSpan.FromSeconds(1) ? this["Time.Now"]
        : wait < TimeSpan.FromMinutes(2) ? Format("Time.InSeconds", (int)Math.Ceiling(wait.TotalSeconds))
        : Format("Time.InMinutes", (int)Math.Ceiling(wait.TotalMinutes));

    /// <summary>
    /// Where a change came from, as recorded (<c>API</c>, <c>portal user #7</c>, <c>…, revert to version 2</c>,
    /// <c>… (delete)</c>), in the page's language.
    /// </summary>
    public string DescribeSource(string source)
    {
        var text = source.Trim();
        var delete = text.EndsWith(" (delete)", StringComparison.Ordinal);
        if (delete) text = text[..^" (delete)".Length];
        string? revert = null;
        var revertMatch = RevertSuffix().Match(text);
        if (revertMatch.Success)
        {
            revert = revertMatch.Groups[1].Value;
            text = text[..revertMatch.Index];
        }
        var user = PortalUserSource().Match(text);
        var described = text == "API" ? this["Source.Api"]
            : user.Success ? Format("Source.PortalUser", user.Groups[1].Value)
            : text.StartsWith("webhook", StringComparison.OrdinalIgnoreCase) ? this["Source.Webhook"]
            : text;
        if (revert is not null) described = Format("Source.Revert", described, revert);
        if (delete) described = Format("Source.Delete", described);
        return described;
    }

    /// <summary>
    /// The portal's recorded answer to a change (<c>SUCCESS (user 1112, session 5)</c>, or a failure reason), in the
    /// page's language.
    /// </summary>
    public string DescribeAnswer(string answer)
    {
        var success = SuccessAnswer().Match(answer.Trim());
        if (!success.Success)
            return DescribeReason(answer);
        if (!success.Groups[1].Success)
            return this["PortalAnswer.Success"];
        var details = success.Groups[1].Value.Split(", ").Select(part =>
        {
            var pair = part.Split(' ', 2);
            return pair.Length == 2 && pair[0] is "user" or "session" or "chat"
                ? Format("PortalAnswer." + char.ToUpperInvariant(pair[0][0]) + pair[0][1..], pair[1])
                : part;
        });
        return Format("PortalAnswer.SuccessWith", string.Join(", ", details));
    }

    /// <summary>A recorded author (<c>API</c>, <c>Operator #7</c>, a person's name) in the page's language.</summary>
    public string DescribePerson(string name)
    {
        if (name == "Operator") return this["Source.OperatorUnknown"];
        var op = OperatorName().Match(name);
        return op.Success ? Format("Source.Operator", op.Groups[1].Value) : name;
    }

    [GeneratedRegex(@"^SUCCESS(?: \((.*)\))?$")]
    private static partial Regex SuccessAnswer();

    [GeneratedRegex(@"^Operator #(\d+)$")]
    private static partial Regex OperatorName();

    [GeneratedRegex(@"^Waiting to retry \(attempt (\d+), next try at ([0-9TZ:\-]+)\) \((.*)\)$", RegexOptions.Singleline)]
    private static partial Regex RetryReason();

    [GeneratedRegex(@"^Waiting to retry \((.*)\)$", RegexOptions.Singleline)]
    private static partial Regex WaitingReason();

    [GeneratedRegex(@"^([A-Za-z0-9_]+):")]
    private static partial Regex CodedReason();

    [GeneratedRegex(@", revert to version (\d+)$")]
    private static partial Regex RevertSuffix();

    [GeneratedRegex(@"^portal user #(\d+)$")]
    private static partial Regex PortalUserSource();
}
