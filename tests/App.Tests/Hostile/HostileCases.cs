using System.Net.Http.Headers;
using System.Text;
using LineBridge.Components.Portal;
using LineBridge.Placement;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Hostile;

/// <summary>What a hostile request is sent to, and so what a correct refusal looks like.</summary>
public enum Surface
{
    /// <summary>The external API: a 4xx problem document naming the field.</summary>
    Api,
    /// <summary>Install, placement, events: a 4xx problem document saying what is wrong.</summary>
    Portal,
    /// <summary>A route that does not match (bad line id): a bare 4xx, nothing reached a handler.</summary>
    NoRoute,
    /// <summary>A Blazor page with a bad ticket: served without error, the ticket opens no session.</summary>
    Page,
    /// <summary>The sandbox portal's own surface: a 4xx in Bitrix24's error shape.</summary>
    Sandbox,
}

/// <summary>One malformed or hostile request, and what the answer must be.</summary>
/// <param name="Field">For API cases, the field the problem document must name.</param>
/// <param name="Status">The exact status when one is right; otherwise any 4xx.</param>
/// <param name="Ticket">For page cases, the ticket the page was given.</param>
public sealed record HostileCase(
    string Name, Surface Surface, Func<TwoPortals, Task<HttpResponseMessage>> Send, string? Field = null, int? Status = null,
    Func<TwoPortals, string>? Ticket = null);

/// <summary>The table: at least a hundred requests nobody friendly would send.</summary>
public static class HostileCases
{
    private const string Messages = "api/v1/lines/1/messages";
    private const string ValidMessage = """{"user":{"id":"u-new"},"chat":{"id":"c-new"},"message":{"id":"m-new","text":"hi"}}""";

    private static string Own(TwoPortals f) => $"api/v1/lines/1/chats/{f.A.ChatId}/messages/{f.A.MessageId}";
    private static string Others(TwoPortals f) => $"api/v1/lines/1/chats/{f.B.ChatId}/messages/{f.B.MessageId}";

    public static IReadOnlyDictionary<string, HostileCase> All { get; } = Build().ToDictionary(c => c.Name);

    private static IEnumerable<HostileCase> Build()
    {
        // ---- external API: authentication ----
        yield return new("api send without Authorization", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), key: null), "Authorization", 401);
        yield return new("api send with empty bearer", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), header: "Bearer "), "Authorization", 401);
        yield return new("api send with Basic scheme", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), header: "Basic " + f.A.ApiKey), "Authorization", 401);
        yield return new("api send with made-up key", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), key: "lb_" + new string('A', 43)), "Authorization", 401);
        yield return new("api send with key lacking prefix", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), key: f.A.ApiKey[3..]), "Authorization", 401);
        yield return new("api send with key in upper case", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), key: f.A.ApiKey.ToUpperInvariant()), "Authorization", 401);
        yield return new("api send with truncated key", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), key: f.A.ApiKey[..^1]), "Authorization", 401);
        yield return new("api send with both keys concatenated", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), key: f.A.ApiKey + f.B.ApiKey), "Authorization", 401);
        yield return new("api send with key carrying a NUL", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Send(ValidMessage), key: f.A.ApiKey + "%00"), "Authorization", 401);
        yield return new("api get without Authorization", Surface.Api, f => Api(f, HttpMethod.Get, Own(f), null, key: null), "Authorization", 401);
        yield return new("api patch without Authorization", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":"x"}"""), key: null), "Authorization", 401);
        yield return new("api delete without Authorization", Surface.Api, f => Api(f, HttpMethod.Delete, Own(f), null, key: null), "Authorization", 401);
        yield return new("api delete with wrong key", Surface.Api, f => Api(f, HttpMethod.Delete, Own(f), null, key: "lb_wrong"), "Authorization", 401);

        // ---- external API: bodies and content types ----
        yield return new("api send with empty body", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("")), "body", 400);
        yield return new("api send with JSON but no content type", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Raw(Send(ValidMessage), null)), "body", 400);
        yield return new("api send as text/plain", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Raw(Send(ValidMessage), "text/plain")), "body", 400);
        yield return new("api send as form", Surface.Api, f => Api(f, HttpMethod.Post, Messages, new FormUrlEncodedContent([new("messages", ValidMessage)])), "body", 400);
        yield return new("api send as xml", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Raw("<messages><m/></messages>", "application/xml")), "body", 400);
        yield return new("api send with body null", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("null")), "body", 400);
        yield return new("api send with array root", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("[" + ValidMessage + "]")), "body", 400);
        yield return new("api send with string root", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("\"hello\"")), "body", 400);
        yield return new("api send with number root", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("42")), "body", 400);
        yield return new("api send with empty object", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("{}")), "messages", 400);
        yield return new("api send with no messages", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":[]}""")), "messages", 400);
        yield return new("api send with messages null", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":null}""")), "messages", 400);
        yield return new("api send with messages a string", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":"hi"}""")), "messages", 400);
        yield return new("api send with messages an object", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":""" + ValidMessage + "}")), "messages", 400);
        yield return new("api send with a null message", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":[null]}""")), "messages[0]", 400);
        yield return new("api send with one bad message among good ones", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":[""" + ValidMessage + """,{"user":{"id":"u"},"chat":{"id":"c"}}]}""")), "messages[1].message", 400);
        yield return new("api send with too many messages", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":[""" + string.Join(',', Enumerable.Range(0, 101).Select(i => ValidMessage.Replace("m-new", "m-" + i))) + "]}")), "messages", 400);
        yield return new("api send with duplicated messages field, valid last", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":[],"messages":[""" + ValidMessage + "]}")), "messages", 400);
        yield return new("api send with duplicated message id field", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(ValidMessage.Replace("\"id\":\"m-new\"", "\"id\":\"m-1\",\"id\":\"m-2\"").Wrap())), "messages[0].message.id", 400);
        yield return new("api send with truncated JSON", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("""{"messages":[""" + ValidMessage)), "messages[1]", 400);
        yield return new("api send with trailing garbage", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage) + " {}")), "body", 400);
        yield return new("api send with comments", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json("/* hi */" + Send(ValidMessage))), "body", 400);
        yield return new("api send with single quotes", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage).Replace('"', '\''))), "body", 400);
        yield return new("api send with invalid UTF-8 in text", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Bytes(Utf8Around(Send(ValidMessage), "\"hi\"", [0x22, 0xC3, 0x28, 0xFF, 0x22]))), "messages[0].message.text", 400);
        yield return new("api send with a lone surrogate escape in text", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage).Replace("\"hi\"", "\"\\uD800\""))), "messages[0].message.text", 400);
        yield return new("api send with UTF-16 body", Surface.Api, f => Api(f, HttpMethod.Post, Messages, new ByteArrayContent(Encoding.Unicode.GetBytes(Send(ValidMessage))) { Headers = { ContentType = new("application/json") } }), "body", 400);
        yield return new("api send nested 10000 deep at the root", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(new string('[', 10_000) + new string(']', 10_000))), "body", 400);
        yield return new("api send nested 200 deep inside a user id", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"u-new\"", string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200))))), "messages[0].user.id", 400);
        yield return new("api send over the body size limit", Surface.Api, f => OversizedAsync(f, Messages, "Bearer " + f.A.ApiKey), null, 413);

        // ---- external API: fields ----
        yield return new("api send without user", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send("""{"chat":{"id":"c"},"message":{"id":"m","text":"t"}}"""))), "messages[0].user", 400);
        yield return new("api send without chat", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send("""{"user":{"id":"u"},"message":{"id":"m","text":"t"}}"""))), "messages[0].chat", 400);
        yield return new("api send without message", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send("""{"user":{"id":"u"},"chat":{"id":"c"}}"""))), "messages[0].message", 400);
        yield return new("api send with empty user id", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"u-new\"", "\"\"")))), "messages[0].user.id", 400);
        yield return new("api send with blank user id", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"u-new\"", "\"   \"")))), "messages[0].user.id", 400);
        yield return new("api send with user id a number", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"u-new\"", "123")))), "messages[0].user.id", 400);
        yield return new("api send with user id an array", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"u-new\"", "[\"u\"]")))), "messages[0].user.id", 400);
        yield return new("api send with user id an object", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"u-new\"", "{\"id\":\"u\"}")))), "messages[0].user.id", 400);
        yield return new("api send with user a string", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("{\"id\":\"u-new\"}", "\"u-new\"")))), "messages[0].user", 400);
        yield return new("api send with user name an object", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"u-new\"", "\"u-new\",\"name\":{\"first\":\"x\"}")))), "messages[0].user.name", 400);
        yield return new("api send with empty chat id", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"c-new\"", "\"\"")))), "messages[0].chat.id", 400);
        yield return new("api send with chat id a boolean", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"c-new\"", "true")))), "messages[0].chat.id", 400);
        yield return new("api send with empty message id", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"m-new\"", "\"\"")))), "messages[0].message.id", 400);
        yield return new("api send with message id a float", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"m-new\"", "1.5")))), "messages[0].message.id", 400);
        yield return new("api send with text a number", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "42")))), "messages[0].message.text", 400);
        yield return new("api send with text an array", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "[\"hi\"]")))), "messages[0].message.text", 400);
        yield return new("api send with text an object", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "{\"hi\":1}")))), "messages[0].message.text", 400);
        yield return new("api send with empty text and no files", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"\"")))), "messages[0].message.text", 400);
        yield return new("api send with whitespace text", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\" \\n\\t \"")))), "messages[0].message.text", 400);
        yield return new("api send with overlong text", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"" + new string('x', 20_001) + "\"")))), "messages[0].message.text", 400);
        yield return new("api send with script text but no user id", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"u-new\"", "\"\"").Replace("\"hi\"", "\"<script>alert(1)</script>\"")))), "messages[0].user.id", 400);
        yield return new("api send with date a word", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"hi\",\"date\":\"yesterday\"")))), "messages[0].message.date", 400);
        yield return new("api send with date beyond long", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"hi\",\"date\":99999999999999999999999")))), "messages[0].message.date", 400);
        yield return new("api send with user_id a word", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"hi\",\"user_id\":\"admin\"")))), "messages[0].message.user_id", 400);
        yield return new("api send with files a string", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"hi\",\"files\":\"a.png\"")))), "messages[0].message.files", 400);
        yield return new("api send with a null file", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"hi\",\"files\":[null]")))), "messages[0].message.files[0].url", 400);
        yield return new("api send with a javascript file url", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"hi\",\"files\":[{\"url\":\"javascript:alert(1)\"}]")))), "messages[0].message.files[0].url", 400);
        yield return new("api send with a file:// url", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"hi\",\"files\":[{\"url\":\"file:///etc/passwd\"}]")))), "messages[0].message.files[0].url", 400);
        yield return new("api send with a relative file url", Surface.Api, f => Api(f, HttpMethod.Post, Messages, Json(Send(ValidMessage.Replace("\"hi\"", "\"hi\",\"files\":[{\"url\":\"../../etc/passwd\"}]")))), "messages[0].message.files[0].url", 400);

        // ---- external API: line ids ----
        yield return new("api send to line 0", Surface.Api, f => Api(f, HttpMethod.Post, "api/v1/lines/0/messages", Send(ValidMessage)), "lineId", 404);
        yield return new("api send to line -1", Surface.Api, f => Api(f, HttpMethod.Post, "api/v1/lines/-1/messages", Send(ValidMessage)), "lineId", 404);
        yield return new("api send to line int.MaxValue", Surface.Api, f => Api(f, HttpMethod.Post, $"api/v1/lines/{int.MaxValue}/messages", Send(ValidMessage)), "lineId", 404);
        yield return new("api send to a line not connected", Surface.Api, f => Api(f, HttpMethod.Post, "api/v1/lines/2/messages", Send(ValidMessage)), "lineId", 404);
        yield return new("api send to line beyond int", Surface.NoRoute, f => Api(f, HttpMethod.Post, "api/v1/lines/99999999999/messages", Send(ValidMessage)), null, 404);
        yield return new("api send to line named abc", Surface.NoRoute, f => Api(f, HttpMethod.Post, "api/v1/lines/abc/messages", Send(ValidMessage)), null, 404);
        yield return new("api send to line 1.5", Surface.NoRoute, f => Api(f, HttpMethod.Post, "api/v1/lines/1.5/messages", Send(ValidMessage)), null, 404);
        yield return new("api send to a traversing line", Surface.NoRoute, f => Api(f, HttpMethod.Post, "api/v1/lines/..%2F..%2Fapi/messages", Send(ValidMessage)), null, 404);
        yield return new("api get on line 0", Surface.Api, f => Api(f, HttpMethod.Get, $"api/v1/lines/0/chats/{f.A.ChatId}/messages/{f.A.MessageId}", null), "messageId", 404);

        // ---- external API: read, edit, delete ----
        yield return new("api get of an unknown message", Surface.Api, f => Api(f, HttpMethod.Get, "api/v1/lines/1/chats/nope/messages/nope", null), "messageId", 404);
        yield return new("api get with traversal in chat id", Surface.Api, f => Api(f, HttpMethod.Get, $"api/v1/lines/1/chats/..%2F..%2F{f.A.ChatId}/messages/{f.A.MessageId}", null), "messageId", 404);
        yield return new("api get with traversal in message id", Surface.Api, f => Api(f, HttpMethod.Get, $"api/v1/lines/1/chats/{f.A.ChatId}/messages/..%2F{f.A.MessageId}", null), "messageId", 404);
        // Kestrel refuses a NUL in the path before routing.
        yield return new("api get with NUL in message id", Surface.NoRoute, f => Api(f, HttpMethod.Get, $"api/v1/lines/1/chats/{f.A.ChatId}/messages/{f.A.MessageId}%00", null), null, 400);
        yield return new("api get by LineBridge id instead of external id", Surface.Api, f => Api(f, HttpMethod.Get, $"api/v1/lines/1/chats/{f.A.ChatId}/messages/{f.A.RecordId}", null), "messageId", 404);
        yield return new("api get with a LiteDB query as id", Surface.Api, f => Api(f, HttpMethod.Get, "api/v1/lines/1/chats/" + Uri.EscapeDataString("$.ChatId != ''") + "/messages/" + Uri.EscapeDataString("' OR 1=1 --"), null), "messageId", 404);
        yield return new("api get of another portal's message", Surface.Api, f => Api(f, HttpMethod.Get, Others(f), null), "messageId", 404);
        yield return new("api get with another portal's key", Surface.Api, f => Api(f, HttpMethod.Get, Own(f), null, key: f.B.ApiKey), "messageId", 404);
        yield return new("api patch with empty body", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("")), "body", 400);
        yield return new("api patch with text missing", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("{}")), "text", 400);
        yield return new("api patch with text null", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":null}""")), "text", 400);
        yield return new("api patch with text a number", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":5}""")), "text", 400);
        yield return new("api patch with text an array", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":["a"]}""")), "text", 400);
        yield return new("api patch with empty text", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":""}""")), "text", 400);
        yield return new("api patch with overlong text", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("{\"text\":\"" + new string('y', 20_001) + "\"}")), "text", 400);
        yield return new("api patch with expectedVersion a word", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":"x","expectedVersion":"one"}""")), "expectedVersion", 400);
        yield return new("api patch with expectedVersion a fraction", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":"x","expectedVersion":1.5}""")), "expectedVersion", 400);
        yield return new("api patch with a stale expectedVersion", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":"x","expectedVersion":999}""")), "expectedVersion", 409);
        yield return new("api patch with a negative expectedVersion", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":"x","expectedVersion":-1}""")), "expectedVersion", 409);
        yield return new("api patch with duplicated text field", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":"","text":"sneaky"}""")), "text", 400);
        yield return new("api patch as text/plain", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Raw("""{"text":"x"}""", "text/plain")), "body", 400);
        yield return new("api patch with invalid UTF-8", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Bytes([.. "{\"text\":\""u8, 0xFE, 0xFF, .. "\"}"u8])), "text", 400);
        yield return new("api patch nested 5000 deep", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("{\"text\":" + string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5001))), "text", 400);
        yield return new("api patch of another portal's message", Surface.Api, f => Api(f, HttpMethod.Patch, Others(f), Json("""{"text":"taken over"}""")), "messageId", 404);
        yield return new("api patch with another portal's key", Surface.Api, f => Api(f, HttpMethod.Patch, Own(f), Json("""{"text":"taken over"}"""), key: f.B.ApiKey), "messageId", 404);
        yield return new("api delete with expectedVersion a word", Surface.Api, f => Api(f, HttpMethod.Delete, Own(f) + "?expectedVersion=one", null), "expectedVersion", 400);
        yield return new("api delete with expectedVersion zero", Surface.Api, f => Api(f, HttpMethod.Delete, Own(f) + "?expectedVersion=0", null), "expectedVersion", 400);
        yield return new("api delete with a stale expectedVersion", Surface.Api, f => Api(f, HttpMethod.Delete, Own(f) + "?expectedVersion=999", null), "expectedVersion", 409);
        yield return new("api delete of another portal's message", Surface.Api, f => Api(f, HttpMethod.Delete, Others(f), null), "messageId", 404);
        yield return new("api delete with another portal's key", Surface.Api, f => Api(f, HttpMethod.Delete, Own(f), null, key: f.B.ApiKey), "messageId", 404);
        yield return new("api put on a message", Surface.NoRoute, f => Api(f, HttpMethod.Put, Own(f), Json("""{"text":"x"}""")), null, 405);

        // ---- install ----
        yield return new("install as JSON", Surface.Portal, f => f.Http.PostAsync("install", Json("""{"AUTH_ID":"x","member_id":"y"}""")), null, 400);
        yield return new("install with an empty form", Surface.Portal, f => f.Http.PostAsync("install", new FormUrlEncodedContent([])), null, 400);
        yield return new("install without AUTH_ID", Surface.Portal, f => Frame(f, f.A, "install", ("AUTH_ID", null)), null, 400);
        yield return new("install without REFRESH_ID", Surface.Portal, f => Frame(f, f.A, "install", ("REFRESH_ID", null)), null, 400);
        yield return new("install without member_id", Surface.Portal, f => Frame(f, f.A, "install", ("member_id", null)), null, 400);
        yield return new("install without DOMAIN", Surface.Portal, f => Frame(f, f.A, "install", ("DOMAIN", null)), null, 400);
        yield return new("install with a forged AUTH_ID", Surface.Portal, f => Frame(f, f.A, "install", ("AUTH_ID", "forged-" + Guid.NewGuid().ToString("N"))));
        yield return new("install with A's AUTH_ID claiming B's member_id", Surface.Portal, f => Frame(f, f.A, "install", ("member_id", f.B.MemberId)));
        yield return new("install with A's AUTH_ID on B's DOMAIN", Surface.Portal, f => Frame(f, f.A, "install", ("DOMAIN", f.B.Portal.Domain)));
        yield return new("install with a traversing DOMAIN", Surface.Portal, f => Frame(f, f.A, "install", ("DOMAIN", f.A.Portal.Domain + "/../../evil")), null, 400);
        yield return new("install with an ONAPPINSTALL event lacking tokens", Surface.Portal, f => f.Http.PostAsync("install", Form(("event", "ONAPPINSTALL"), ("auth[member_id]", f.A.MemberId), ("auth[domain]", f.A.Portal.Domain))), null, 400);
        yield return new("install with an ONAPPINSTALL event with forged tokens", Surface.Portal, f => f.Http.PostAsync("install", Form(("event", "ONAPPINSTALL"),
            ("auth[member_id]", f.A.MemberId), ("auth[domain]", f.A.Portal.Domain), ("auth[access_token]", "forged"), ("auth[refresh_token]", "forged"),
            ("auth[application_token]", "forged"), ("auth[client_endpoint]", f.A.Portal.RestUri.AbsoluteUri))));
        yield return new("install with a field over the form limit", Surface.Portal, f => f.Http.PostAsync("install", Form(("AUTH_ID", new string('a', 5 * 1024 * 1024)))), null, 400);

        // ---- placement ----
        yield return new("placement as JSON", Surface.Portal, f => f.Http.PostAsync("placement", Json("{}")), null, 400);
        yield return new("placement with an empty form", Surface.Portal, f => f.Http.PostAsync("placement", new FormUrlEncodedContent([])), null, 400);
        yield return new("placement without AUTH_ID", Surface.Portal, f => Frame(f, f.A, "placement", ("AUTH_ID", null)), null, 400);
        yield return new("placement with a forged AUTH_ID", Surface.Portal, f => Frame(f, f.A, "placement", ("AUTH_ID", "forged")));
        yield return new("placement with an unknown member_id", Surface.Portal, f => Frame(f, f.A, "placement", ("member_id", new string('0', 32))), null, 404);
        yield return new("placement with A's AUTH_ID claiming B's member_id", Surface.Portal, f => Frame(f, f.A, "placement", ("member_id", f.B.MemberId)));
        yield return new("placement with B's APPLICATION_TOKEN on A", Surface.Portal, f => Frame(f, f.A, "placement", ("APPLICATION_TOKEN", f.App.Store.Find(f.B.MemberId)!.ApplicationToken)), null, 401);
        yield return new("placement with A's AUTH_ID on B's DOMAIN and member_id", Surface.Portal, f => Frame(f, f.A, "placement", ("member_id", f.B.MemberId), ("DOMAIN", f.B.Portal.Domain)));
        yield return new("placement with a DOMAIN carrying a path", Surface.Portal, f => Frame(f, f.A, "placement", ("DOMAIN", f.A.Portal.Domain + "/rest/../")), null, 400);
        yield return new("placement with a DOMAIN carrying userinfo", Surface.Portal, f => Frame(f, f.A, "placement", ("DOMAIN", "evil@" + f.A.Portal.Domain)), null, 400);
        yield return new("placement SETTING_CONNECTOR without options", Surface.Portal, f => Frame(f, f.A, "placement", ("PLACEMENT", "SETTING_CONNECTOR"), ("PLACEMENT_OPTIONS", null)), null, 400);
        yield return new("placement SETTING_CONNECTOR with broken options", Surface.Portal, f => Frame(f, f.A, "placement", ("PLACEMENT", "SETTING_CONNECTOR"), ("PLACEMENT_OPTIONS", "{\"LINE\":")), null, 400);
        yield return new("placement SETTING_CONNECTOR with options nested 10000 deep", Surface.Portal, f => Frame(f, f.A, "placement", ("PLACEMENT", "SETTING_CONNECTOR"), ("PLACEMENT_OPTIONS", new string('[', 10_000) + new string(']', 10_000))), null, 400);
        yield return new("placement SETTING_CONNECTOR with LINE an array", Surface.Portal, f => Frame(f, f.A, "placement", ("PLACEMENT", "SETTING_CONNECTOR"), ("PLACEMENT_OPTIONS", "{\"CONNECTOR\":\"linebridge\",\"LINE\":[1]}")), null, 400);

        // ---- events ----
        yield return new("event as JSON", Surface.Portal, f => f.Http.PostAsync("events", Json("""{"event":"ONAPPUNINSTALL"}""")), null, 400);
        yield return new("event without a body", Surface.Portal, f => f.Http.PostAsync("events", new FormUrlEncodedContent([])), null, 400);
        yield return new("event without auth", Surface.Portal, f => f.Http.PostAsync("events", Form(("event", "ONAPPUNINSTALL"))), null, 401);
        yield return new("uninstall event with a forged application_token", Surface.Portal, f => f.Http.PostAsync("events", Event(f.A.MemberId, "forged", "ONAPPUNINSTALL")), null, 401);
        yield return new("uninstall event for B signed with A's application_token", Surface.Portal, f => f.Http.PostAsync("events", Event(f.B.MemberId, AppToken(f, f.A), "ONAPPUNINSTALL")), null, 401);
        yield return new("line delete event for B signed with A's application_token", Surface.Portal, f => f.Http.PostAsync("events", Event(f.B.MemberId, AppToken(f, f.A), "ONIMCONNECTORLINEDELETE", ("data", "1"))), null, 401);
        yield return new("status delete event for B signed with A's application_token", Surface.Portal, f => f.Http.PostAsync("events", Event(f.B.MemberId, AppToken(f, f.A), "ONIMCONNECTORSTATUSDELETE", ("data[connector]", "linebridge"), ("data[line]", "1"))), null, 401);
        yield return new("event for an unknown member_id", Surface.Portal, f => f.Http.PostAsync("events", Event(new string('f', 32), AppToken(f, f.A), "ONAPPUNINSTALL")), null, 401);
        yield return new("event with the application_token sent twice", Surface.Portal, f => f.Http.PostAsync("events", Form(("event", "ONAPPUNINSTALL"), ("auth[member_id]", f.A.MemberId),
            ("auth[application_token]", "forged"), ("auth[application_token]", AppToken(f, f.A)))), null, 401);
        yield return new("event with an empty application_token", Surface.Portal, f => f.Http.PostAsync("events", Event(f.A.MemberId, "", "ONAPPUNINSTALL")), null, 401);
        yield return new("event with a control character in member_id", Surface.Portal, f => f.Http.PostAsync("events", Event(f.A.MemberId + "\0", AppToken(f, f.A), "ONAPPUNINSTALL")), null, 400);

        // ---- trust boundaries (issue 11): what an operator's frame fields and a copied application token allow ----
        yield return new("install by an operator with a made-up APPLICATION_TOKEN", Surface.Portal, f => OperatorFrame(f, f.A, "install", ("APPLICATION_TOKEN", "made-up")), null, 403);
        yield return new("install by the administrator with a made-up APPLICATION_TOKEN", Surface.Portal, f => Frame(f, f.A, "install", ("APPLICATION_TOKEN", "made-up")), null, 409);
        yield return new("install naming A's member_id with an unreachable DOMAIN", Surface.Portal, f => Frame(f, f.A, "install", ("DOMAIN", "127.0.0.1:9"), ("AUTH_ID", "x"), ("REFRESH_ID", "x")), null, 401);
        yield return new("placement by an operator with another DOMAIN", Surface.Portal, f => OperatorFrame(f, f.A, "placement", ("DOMAIN", "127.0.0.1:9")), null, 403);
        yield return new("placement with another DOMAIN and no REFRESH_ID", Surface.Portal, f => Frame(f, f.A, "placement", ("DOMAIN", "127.0.0.1:9"), ("REFRESH_ID", null)), null, 403);
        yield return new("event with the right token but no ts", Surface.Portal, f => f.Http.PostAsync("events", Form(("event", "ONAPPUNINSTALL"), ("auth[member_id]", f.A.MemberId),
            ("auth[application_token]", AppToken(f, f.A)))), null, 400);
        yield return new("event with the right token older than the window", Surface.Portal, f => f.Http.PostAsync("events", Event(f.A.MemberId, AppToken(f, f.A), "ONAPPUNINSTALL")), null, 400);
        yield return new("event with the right token sent from the future", Surface.Portal, f => f.Http.PostAsync("events", Form(("event", "ONAPPUNINSTALL"), ("auth[member_id]", f.A.MemberId),
            ("auth[application_token]", AppToken(f, f.A)), ("ts", DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)))), null, 400);
        yield return new("event with the right token and a non-numeric ts", Surface.Portal, f => f.Http.PostAsync("events", Form(("event", "ONAPPUNINSTALL"), ("auth[member_id]", f.A.MemberId),
            ("auth[application_token]", AppToken(f, f.A)), ("ts", "yesterday"))), null, 400);

        // ---- pages: tickets ----
        yield return new("lines page without ticket", Surface.Page, f => f.Http.GetAsync("lines"), Ticket: _ => "");
        yield return new("lines page with a made-up ticket", Surface.Page, f => f.Http.GetAsync("lines?ticket=forged"), Ticket: _ => "forged");
        yield return new("lines page with a tampered ticket", Surface.Page, f => f.Http.GetAsync("lines?ticket=" + Uri.EscapeDataString(Tamper(f.A.Ticket))), Ticket: f => Tamper(f.A.Ticket));
        yield return new("lines page with a truncated ticket", Surface.Page, f => f.Http.GetAsync("lines?ticket=" + Uri.EscapeDataString(f.A.Ticket[..^4])), Ticket: f => f.A.Ticket[..^4]);
        yield return new("connector page with an expired ticket", Surface.Page, f => f.Http.GetAsync("connector?ticket=" + Uri.EscapeDataString(ExpiredTicket(f))), Ticket: ExpiredTicket);
        yield return new("lines page with a ticket of another purpose", Surface.Page, f => f.Http.GetAsync("lines?ticket=" + Uri.EscapeDataString(OtherPurposeTicket(f))), Ticket: OtherPurposeTicket);
        yield return new("lines page with markup as ticket", Surface.Page, f => f.Http.GetAsync("lines?ticket=" + Uri.EscapeDataString("<script>alert(1)</script>")), Ticket: _ => "<script>alert(1)</script>");
        yield return new("connector page with a 100k ticket", Surface.Page, f => f.Http.GetAsync("connector?ticket=" + new string('A', 100_000)), Ticket: _ => new string('A', 100_000));

        // ---- the sandbox portal's surface ----
        yield return new("sandbox rest without auth", Surface.Sandbox, f => f.Http.PostAsync(new Uri(f.A.Portal.RestUri, "imconnector.send.messages.json"), Json("{}")), null, 401);
        yield return new("sandbox rest with a forged token", Surface.Sandbox, f => f.Http.PostAsync(new Uri(f.A.Portal.RestUri, "profile.json?auth=forged"), Json("{}")), null, 401);
        yield return new("sandbox rest with A's token on B", Surface.Sandbox, f => f.Http.PostAsync(new Uri(f.B.Portal.RestUri, "imconnector.send.messages.json?auth=" + f.App.Store.Find(f.A.MemberId)!.AccessToken),
            Json("""{"CONNECTOR":"linebridge","LINE":1,"MESSAGES":[{"user":{"id":"x"},"chat":{"id":"x"},"message":{"id":"x","text":"intruder"}}]}""")));
        yield return new("sandbox rest with broken JSON", Surface.Sandbox, f => f.Http.PostAsync(new Uri(f.A.Portal.RestUri, "imconnector.send.messages.json?auth=" + f.App.Store.Find(f.A.MemberId)!.AccessToken), Json("{\"CONNECTOR\":")), null, 400);
        yield return new("sandbox rest unknown method", Surface.Sandbox, f => f.Http.PostAsync(new Uri(f.A.Portal.RestUri, "no.such.method.json?auth=" + f.App.Store.Find(f.A.MemberId)!.AccessToken), Json("{}")), null, 404);
        yield return new("sandbox rest path traversal", Surface.Sandbox, f => f.Http.GetAsync(new Uri(f.A.Portal.BaseUri, "rest/..%2F..%2F..%2Fetc%2Fpasswd")));
        yield return new("sandbox oauth without grant_type", Surface.Sandbox, f => f.Http.GetAsync(new Uri(f.A.Portal.BaseUri, "oauth/token/")), null, 400);
        yield return new("sandbox oauth with a forged refresh token", Surface.Sandbox, f => f.Http.GetAsync(new Uri(f.A.Portal.BaseUri,
            $"oauth/token/?grant_type=refresh_token&client_id={f.App.Sandbox.App.ClientId}&client_secret={f.App.Sandbox.App.ClientSecret}&refresh_token=forged")));
        yield return new("sandbox oauth with a wrong client secret", Surface.Sandbox, f => f.Http.GetAsync(new Uri(f.A.Portal.BaseUri,
            $"oauth/token/?grant_type=refresh_token&client_id={f.App.Sandbox.App.ClientId}&client_secret=wrong&refresh_token={f.App.Store.Find(f.A.MemberId)!.RefreshToken}")));
        yield return new("sandbox faults with broken JSON", Surface.Sandbox, f => f.Http.PostAsync(new Uri(f.A.Portal.BaseUri, "_sandbox/faults"), Json("{\"errorRate\":")), null, 400);
        yield return new("sandbox token for an unknown user", Surface.Sandbox, f => f.Http.GetAsync(new Uri(f.A.Portal.BaseUri, "_sandbox/token?user=999")), null, 404);
    }

    // ---- builders ----

    private static async Task<HttpResponseMessage> Api(TwoPortals f, HttpMethod method, string path, object? body, string? key = "", string? header = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is string json ? Json(json) : (HttpContent?)body };
        if (header is not null) request.Headers.TryAddWithoutValidation("Authorization", header);
        else if (key is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + (key.Length == 0 ? f.A.ApiKey : key));
        return await f.Http.SendAsync(request);
    }

    /// <summary>
    /// Announces a body over Kestrel's 30 MB limit and reads the answer after the first kilobyte: the server answers
    /// early and closes, which an HttpClient still uploading reports as a broken pipe rather than the status.
    /// </summary>
    private static async Task<HttpResponseMessage> OversizedAsync(TwoPortals f, string path, string authorization)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(f.App.BaseUri.Host, f.App.BaseUri.Port);
        var stream = tcp.GetStream();
        var head = $"POST /{path} HTTP/1.1\r\nHost: {f.App.BaseUri.Authority}\r\nAuthorization: {authorization}\r\n" +
                   $"Content-Type: application/json\r\nContent-Length: {31 * 1024 * 1024}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "{\"messages\":[" + new string(' ', 1000)));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var statusLine = await reader.ReadLineAsync() ?? "";
        var response = new HttpResponseMessage((System.Net.HttpStatusCode)int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        string? contentType = null;
        for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
        {
            if (line.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase)) contentType = line[13..].Trim();
        }
        string body;
        try { body = await reader.ReadToEndAsync(); } catch (IOException) { body = ""; }
        response.Content = new StringContent(body);
        if (contentType is not null) response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return response;
    }

    private static string Send(string message) => """{"messages":[""" + message + "]}";

    private static string Wrap(this string message) => Send(message);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static ByteArrayContent Raw(string text, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        if (contentType is not null) content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    private static ByteArrayContent Bytes(byte[] bytes) => new(bytes) { Headers = { ContentType = new("application/json") } };

    private static byte[] Utf8Around(string text, string placeholder, byte[] raw)
    {
        var at = text.IndexOf(placeholder, StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(text[..at]), .. raw, .. Encoding.UTF8.GetBytes(text[(at + placeholder.Length)..])];
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)));

    private static Task<HttpResponseMessage> Frame(TwoPortals f, PortalSide side, string path, params (string Key, string? Value)[] changes) =>
        f.App.PostFrameAsync(path, side.Portal.BuildFramePost(userId: 1), changes.ToDictionary(c => c.Key, c => c.Value));

    private static Task<HttpResponseMessage> OperatorFrame(TwoPortals f, PortalSide side, string path, params (string Key, string? Value)[] changes) =>
        f.App.PostFrameAsync(path, side.Portal.BuildFramePost(userId: 2), changes.ToDictionary(c => c.Key, c => c.Value));

    private static FormUrlEncodedContent Event(string memberId, string applicationToken, string name, params (string Key, string Value)[] data) =>
        Form([("event", name), ("ts", "1700000000"), ("auth[member_id]", memberId), ("auth[application_token]", applicationToken), ("auth[domain]", "127.0.0.2"), .. data]);

    public static string AppToken(TwoPortals f, PortalSide side) => f.App.Store.Find(side.MemberId)!.ApplicationToken!;

    private static string Tamper(string ticket)
    {
        var chars = ticket.ToCharArray();
        var at = chars.Length / 2;
        chars[at] = chars[at] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    /// <summary>A ticket signed with the app's own keys for portal A, which expired an hour ago.</summary>
    public static string ExpiredTicket(TwoPortals f)
    {
        var past = new PastTime(TimeProvider.System.GetUtcNow() - PlacementTickets.Lifetime - TimeSpan.FromHours(1));
        var tickets = new PlacementTickets(f.App.Services.GetRequiredService<IDataProtectionProvider>(), past);
        return tickets.Issue(new TicketPayload(f.A.MemberId, f.A.Portal.Domain, 1, "Anna Admin", true, "en", "SETTING_CONNECTOR", "linebridge", 1));
    }

    /// <summary>A valid ticket payload protected with the app's keys under another purpose (the portal store's).</summary>
    private static string OtherPurposeTicket(TwoPortals f) =>
        f.App.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("LineBridge.Storage.PortalStore.v1").Protect(
            System.Text.Json.JsonSerializer.Serialize(new TicketPayload(f.A.MemberId, f.A.Portal.Domain, 1, "Anna Admin", true, "en", "DEFAULT", null, null)));

    private sealed class PastTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
