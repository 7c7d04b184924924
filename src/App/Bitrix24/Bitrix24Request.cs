using System.Net;
using System.Text.Json;

namespace LineBridge.Bitrix24;

/// <summary>What the handlers need to know about a call, carried in <see cref="HttpRequestMessage.Options"/>.</summary>
internal static class Bitrix24Request
{
    public static readonly HttpRequestOptionsKey<Bitrix24Credentials> Credentials = new("Bitrix24.Credentials");
    public static readonly HttpRequestOptionsKey<string> Method = new("Bitrix24.Method");
    public static readonly HttpRequestOptionsKey<bool> Retriable = new("Bitrix24.Retriable");
    /// <summary>The JSON object body without credentials; the token handler adds <c>auth</c> to a copy per attempt.</summary>
    public static readonly HttpRequestOptionsKey<byte[]> Body = new("Bitrix24.Body");

    /// <summary>The call's JSON object body with <c>"auth":"{token}"</c> as its first member.</summary>
    public static ByteArrayContent WithAuth(byte[] body, string token)
    {
        var auth = System.Text.Encoding.UTF8.GetBytes("{\"auth\":" + JsonSerializer.Serialize(token));
        var rest = body.AsSpan(1).TrimStart(" \t\r\n"u8);
        var json = new byte[auth.Length + 1 + rest.Length];
        auth.CopyTo(json, 0);
        var at = auth.Length;
        if (rest.Length > 0 && rest[0] != (byte)'}') json[at++] = (byte)',';
        rest.CopyTo(json.AsSpan(at));
        var content = new ByteArrayContent(json, 0, at + rest.Length);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    public static Bitrix24Credentials? CredentialsOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(Credentials, out var c) ? c : null;

    public static string MethodOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(Method, out var m) ? m : request.RequestUri?.AbsolutePath ?? "?";

    /// <summary>
    /// A fresh copy for another attempt: a request message is sent once, and the body is a byte array so it can be
    /// read again.
    /// </summary>
    public static async Task<HttpRequestMessage> CloneAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
        foreach (var header in request.Headers) clone.Headers.TryAddWithoutValidation(header.Key, header.Value);
        if (request.Content is not null)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            clone.Content = new ByteArrayContent(bytes);
            foreach (var header in request.Content.Headers) clone.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        foreach (var option in request.Options) ((IDictionary<string, object?>)clone.Options)[option.Key] = option.Value;
        return clone;
    }

    /// <summary>The <c>{error, error_description}</c> of a failed answer, if it has one. Buffers the body.</summary>
    public static async Task<Bitrix24Error?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return null;
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return Bitrix24Error.TryParse(body, response.StatusCode);
    }
}

/// <summary>An error envelope: <c>{"error":"CODE","error_description":"text"}</c>, plus <c>time</c> when present.</summary>
internal sealed record Bitrix24Error(HttpStatusCode StatusCode, string Code, string Description, long? OperatingResetAt)
{
    public static Bitrix24Error? TryParse(string body, HttpStatusCode statusCode)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error)) return null;
            var code = Bitrix24Json.AsString(error) ?? "";
            var description = root.TryGetProperty("error_description", out var d) ? Bitrix24Json.AsString(d) ?? "" : "";
            long? resetAt = null;
            if (root.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.Object &&
                time.TryGetProperty("operating_reset_at", out var reset))
            {
                resetAt = Bitrix24Json.AsLong(reset);
            }
            return new Bitrix24Error(statusCode, code, description, resetAt);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
