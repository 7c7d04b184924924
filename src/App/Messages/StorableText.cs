using System.Text.Json;
using System.Text.Json.Serialization;

namespace LineBridge.Messages;

/// <summary>
/// Text that every store and the portal can keep. JSON can carry any UTF-16 code unit (<c>"\u0000"</c>,
/// <c>"\ud800"</c>), but PostgreSQL's <c>text</c> refuses NUL and both PostgreSQL and the portal (UTF-8, PHP <c>mb_</c>
/// functions) refuse an unpaired surrogate. Such a string is refused at the door with a 400 naming the field, on both
/// storage providers alike, rather than accepted on LiteDB and failing with a 500 on PostgreSQL. (A path segment with
/// <c>%00</c> never reaches an endpoint: Kestrel answers 400 for a NUL in the decoded path.)
/// </summary>
public static class StorableText
{
    /// <summary>Why <paramref name="value"/> cannot be kept (English, for the API), or null when it can.</summary>
    public static string? Problem(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
                return "The value contains the NUL character (U+0000), which cannot be stored. Remove it.";
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                return "The value contains an unpaired UTF-16 surrogate (half of a character), which cannot be stored. Send valid Unicode.";
        }
        return null;
    }

    /// <summary>
    /// Reads every JSON string of the API through <see cref="Problem"/>: a refused string throws
    /// <see cref="UnstorableTextException"/>, which the API turns into a 400 naming the JSON path.
    /// </summary>
    public sealed class JsonConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? value;
            try
            {
                value = reader.GetString();
            }
            catch (InvalidOperationException)
            {
                // The reader refuses an escaped string it cannot turn into UTF-16 (e.g. a lone "\udc00" on some paths).
                throw new UnstorableTextException("The value is not valid Unicode (half of a character?) and cannot be stored. Send valid Unicode.");
            }
            return value is not null && Problem(value) is { } problem ? throw new UnstorableTextException(problem) : value;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}

/// <summary>A string in a request that <see cref="StorableText.Problem"/> refuses; the message says what to fix.</summary>
public sealed class UnstorableTextException(string message) : JsonException(message);
