using System.Net;
using System.Text.RegularExpressions;

namespace LineBridge.Components.Messages;

/// <summary>
/// Turns Bitrix24 BB-code into HTML for the preview. Everything is HTML-encoded first and only known tags become
/// markup afterwards, so no text from a message can ever inject HTML or script.
/// </summary>
public static partial class BbCode
{
    public static string ToHtml(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var html = WebUtility.HtmlEncode(text.Replace("\r\n", "\n"));

        // Tags may nest ([b][i]x[/i][/b]); repeat until nothing changes, with a bound against pathological input.
        for (var pass = 0; pass < 8; pass++)
        {
            var before = html;
            html = SimpleTag().Replace(html, m => $"<{Element(m.Groups["tag"].Value)}>{m.Groups["body"].Value}</{Element(m.Groups["tag"].Value)}>");
            html = UrlWithTarget().Replace(html, m => Link(m.Groups["href"].Value, m.Groups["body"].Value));
            html = BareUrl().Replace(html, m => Link(m.Groups["href"].Value, m.Groups["href"].Value));
            html = Quote().Replace(html, m => $"<blockquote class=\"lb-quote\">{m.Groups["body"].Value.Trim('\n')}</blockquote>");
            if (html == before)
                break;
        }

        // Bitrix24 quotes a line by starting it with ">>".
        html = LineQuote().Replace(html, m => $"<blockquote class=\"lb-quote\">{m.Groups["body"].Value}</blockquote>");
        html = LineBreak().Replace(html, "<br />");
        return html.Replace("\n", "<br />");
    }

    private static string Element(string tag) => tag.ToLowerInvariant() switch
    {
        "b" => "strong",
        "i" => "em",
        "u" => "u",
        _ => "s",
    };

    // The href is already HTML-encoded (quotes included), so it cannot leave the attribute; only safe schemes link.
    private static string Link(string href, string body)
    {
        var decoded = WebUtility.HtmlDecode(href).Trim();
        var safe = decoded.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || decoded.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || decoded.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase);
        return safe
            ? $"<a href=\"{WebUtility.HtmlEncode(decoded)}\" target=\"_blank\" rel=\"noopener noreferrer\">{body}</a>"
            : body;
    }

    [GeneratedRegex(@"\[(?<tag>[bius])\](?<body>.*?)\[/\k<tag>\]", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex SimpleTag();

    [GeneratedRegex(@"\[url=(?<href>[^\]\n]+)\](?<body>.*?)\[/url\]", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex UrlWithTarget();

    [GeneratedRegex(@"\[url\](?<href>[^\[\n]+)\[/url\]", RegexOptions.IgnoreCase)]
    private static partial Regex BareUrl();

    [GeneratedRegex(@"\[quote\](?<body>.*?)\[/quote\]", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Quote();

    [GeneratedRegex(@"^&gt;&gt;(?<body>[^\n]*)$", RegexOptions.Multiline)]
    private static partial Regex LineQuote();

    [GeneratedRegex(@"\[br\]\n?", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreak();
}
