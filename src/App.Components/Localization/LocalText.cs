using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LineBridge.Components.Localization;

/// <summary>
/// A text the server records or raises for people to read later (a waiting message's reason, a refusal), kept
/// language-neutral: a key of the UI's string table (<c>Texts.resx</c>) and its arguments, rendered in the viewer's
/// language by <see cref="Localizer.DescribeReason"/> / <see cref="Localizer.Explain"/>, and in English for the API
/// and logs by <see cref="Localizer.English"/>.
/// </summary>
/// <remarks>
/// Stored as a small JSON object, <c>{"code":"Reason.LineDisconnected","args":["5"]}</c>: it cannot be mistaken for
/// the English sentences stored before (which are still shown as they are), it may sit inside another text (an older
/// reason that quotes a newer one) and still be found, and an argument may itself be an encoded text (a retry's
/// reason). Arguments are strings, formatted by the sender in the invariant culture (numbers, ISO-8601 times).
/// </remarks>
public sealed record LocalText
{
    /// <summary>How every encoded text starts; anything else is a plain (older, English) text.</summary>
    internal const string Marker = "{\"code\":";

    private static readonly JsonSerializerOptions Json = new()
    {
        // Readable in the database and in logs (Cyrillic chat names, quotes), and still valid JSON.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A text for <paramref name="code"/> (a key of <c>Texts.resx</c>) with its arguments in order ({0}, {1}, …).</summary>
    public LocalText(string code, params string[] args)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        Args = args;
    }

    /// <summary>The key of the text in <c>Texts.resx</c> (<c>Reason.LineDisconnected</c>, <c>Problem.TextTooLong</c>).</summary>
    public string Code { get; }

    /// <summary>The values for the text's placeholders, as invariant strings; an argument may be another encoded text.</summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>The stored form: <c>{"code":"…","args":[…]}</c>.</summary>
    public string Encode() => JsonSerializer.Serialize(new Wire(Code, [.. Args]), Json);

    /// <summary>The encoded text <paramref name="stored"/> holds as a whole, or null for a plain text (or none).</summary>
    public static LocalText? Decode(string? stored)
    {
        if (stored is null || !stored.StartsWith(Marker, StringComparison.Ordinal)) return null;
        try
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(stored));
            var text = Read(ref reader);
            return text is not null && reader.BytesConsumed == System.Text.Encoding.UTF8.GetByteCount(stored) ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// <paramref name="text"/> with every encoded text inside it replaced by <paramref name="render"/>'s words: a
    /// plain text that quotes an encoded one (an older message about a newer reason) still reads as a sentence.
    /// </summary>
    public static string ReplaceEncoded(string text, Func<LocalText, string> render)
    {
        var start = text.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0) return text;
        var result = new System.Text.StringBuilder(text.Length);
        var done = 0;
        while (start >= 0)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text[start..]);
            LocalText? found = null;
            var length = 0;
            try
            {
                var reader = new Utf8JsonReader(bytes);
                found = Read(ref reader);
                length = found is null ? 0 : System.Text.Encoding.UTF8.GetCharCount(bytes, 0, (int)reader.BytesConsumed);
            }
            catch (JsonException)
            {
                found = null;
            }
            if (found is not null)
            {
                result.Append(text, done, start - done).Append(render(found));
                done = start + length;
            }
            start = text.IndexOf(Marker, found is null ? start + 1 : done, StringComparison.Ordinal);
        }
        return result.Append(text, done, text.Length - done).ToString();
    }

    private static LocalText? Read(ref Utf8JsonReader reader)
    {
        var wire = JsonSerializer.Deserialize<Wire>(ref reader, Json);
        return wire is { Code.Length: > 0 } ? new LocalText(wire.Code, wire.Args ?? []) : null;
    }

    public bool Equals(LocalText? other) =>
        other is not null && Code == other.Code && Args.SequenceEqual(other.Args);

    public override int GetHashCode() => HashCode.Combine(Code, Args.Count);

    /// <summary>The encoded form, so a text can stand wherever a string is recorded.</summary>
    public override string ToString() => Encode();

    private sealed record Wire(
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("args")] string[]? Args);
}
