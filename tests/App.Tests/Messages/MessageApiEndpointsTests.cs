using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LineBridge.Infrastructure;
using LineBridge.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Messages;

/// <summary>The external API end to end: the real app and the real sandbox portal over loopback HTTP.</summary>
public class MessageApiEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Api : IAsyncDisposable
    {
        public required SandboxedApp App { get; init; }
        public required HttpClient Http { get; init; }
        public required int Line { get; init; }
        public required string Key { get; init; }
        public SandboxPortal Portal => App.Portal;

        public static async Task<Api> StartAsync(Action<SandboxOptions>? sandbox = null)
        {
            // Short back-off keeps fault tests quick; the rule (grow, cap, jitter) is what the unit tests pin down.
            var settings = new Dictionary<string, string?> { ["Messages:RetryDelay"] = "00:00:00.200", ["Messages:MaxRetryDelay"] = "00:00:02" };
            var app = await SandboxedApp.StartAsync(configureSandbox: sandbox, settings: settings, cancellationToken: TestContext.Current.CancellationToken);
            var line = app.Portal.OpenLines[0].Id;
            // As the open-lines service does: imconnector.activate through the typed client, then our own record.
            await app.Clients.ForPortal(app.Portal.MemberId).Connectors.ActivateAsync("linebridge", line, true, TestContext.Current.CancellationToken);
            app.Services.GetRequiredService<LineConnections>().MarkConnected(app.Portal.MemberId, line);
            var key = await app.Services.GetRequiredService<ApiKeys>().RotateAsync(app.Portal.MemberId);
            var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = app.BaseUri, Timeout = TimeSpan.FromSeconds(100) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return new Api { App = app, Http = http, Line = line, Key = key };
        }

        public Task<HttpResponseMessage> SendAsync(object body) => Http.PostAsJsonAsync($"api/v1/lines/{Line}/messages", body, Ct);

        public static object Body(params (string Chat, string Id, string Text)[] messages) => new
        {
            messages = messages.Select(m => new
            {
                user = new { id = "user-" + m.Chat, name = "Ann" },
                chat = new { id = m.Chat, name = "Chat " + m.Chat },
                message = new { id = m.Id, text = m.Text },
            }),
        };

        public string MessageUrl(string chat, string id) => $"api/v1/lines/{Line}/chats/{chat}/messages/{id}";

        public async Task<JsonObject> GetAsync(string chat, string id) =>
            (await Http.GetFromJsonAsync<JsonObject>(MessageUrl(chat, id), Ct))!;

        public async Task WaitForStatusAsync(string chat, string id, string status)
        {
            JsonObject? message = null;
            await SandboxedApp.WaitUntilAsync(async () => (string?)(message = await GetAsync(chat, id))["status"] == status,
                $"{chat}/{id} is {status}", seen: () => $"{message?["status"]} ({message?["failureReason"]})");
        }

        /// <summary>The texts of the portal's copies of an external message id, in the line's dialogs.</summary>
        public IReadOnlyList<string> PortalCopies(string id) =>
            Portal.Dialogs.Where(d => d.Line == Line).SelectMany(d => d.Messages).Where(m => m.ConnectorMid.Contains(id)).Select(m => m.Text).ToList();

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await App.DisposeAsync();
        }
    }

    /// <summary>
    /// The API's JSON is no page, so nothing may frame it; answering so reads no portal (the page policy read every
    /// portal with its tokens decrypted, on every accepted message). Pages keep the installed portals' policy.
    /// </summary>
    [Fact]
    public async Task Answers_AreFramedByNoOne_PagesByTheInstalledPortals()
    {
        await using var api = await Api.StartAsync();

        var accepted = await api.SendAsync(Api.Body(("c1", "m1", "Hello")));
        var invalid = await api.SendAsync(new { messages = Array.Empty<object>() });
        using var anonymous = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = api.App.BaseUri };
        var unauthorized = await anonymous.PostAsJsonAsync($"api/v1/lines/{api.Line}/messages", new { }, Ct);
        var page = await anonymous.GetAsync("", Ct);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        foreach (var answer in new[] { accepted, invalid, unauthorized })
        {
            Assert.Equal("frame-ancestors 'none'", string.Join(' ', answer.Headers.GetValues("Content-Security-Policy")));
        }
        Assert.Contains(api.Portal.BaseUri.GetLeftPart(UriPartial.Authority), string.Join(' ', page.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task SendEditDelete_ReachTheSandboxesChat()
    {
        await using var api = await Api.StartAsync();

        var sent = await api.SendAsync(Api.Body(("c1", "m1", "Helo")));
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        await api.WaitForStatusAsync("c1", "m1", "Sent");
        Assert.Equal(["Helo"], api.PortalCopies("m1"));

        var edit = await api.Http.PatchAsJsonAsync(api.MessageUrl("c1", "m1"), new { text = "Hello", expectedVersion = 1 }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, edit.StatusCode);
        await SandboxedApp.WaitUntilAsync(() => api.PortalCopies("m1").SequenceEqual(["Hello"]), "the portal shows the edited text");
        await api.WaitForStatusAsync("c1", "m1", "Sent");

        var delete = await api.Http.DeleteAsync(api.MessageUrl("c1", "m1"), Ct);
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await api.WaitForStatusAsync("c1", "m1", "Deleted");
        Assert.Empty(api.PortalCopies("m1"));

        var history = (await api.GetAsync("c1", "m1"))["history"]!.AsArray();
        Assert.Equal(["Helo", "Hello", ""], history.Select(v => (string?)v!["newText"]));
        Assert.All(history, v => Assert.StartsWith("SUCCESS", (string?)v!["portalAnswer"]));
    }

    [Fact]
    public async Task PostingTheSameMessageTwice_SendsItOnce_AndSaysSo()
    {
        await using var api = await Api.StartAsync();

        var first = await (await api.SendAsync(Api.Body(("c1", "m1", "once")))).Content.ReadFromJsonAsync<JsonObject>(Ct);
        var second = await api.SendAsync(Api.Body(("c1", "m1", "once")));
        await api.WaitForStatusAsync("c1", "m1", "Sent");

        var again = (await second.Content.ReadFromJsonAsync<JsonObject>(Ct))!["results"]![0]!;
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.False((bool)first!["results"]![0]!["duplicate"]!);
        Assert.True((bool)again["duplicate"]!);
        Assert.Equal((string?)first["results"]![0]!["id"], (string?)again["id"]);
        Assert.Single(api.PortalCopies("m1"));
    }

    [Fact]
    public async Task EditOrDeleteOfAnUnknownMessage_IsOur404_AndNothingIsSent()
    {
        await using var api = await Api.StartAsync();

        var edit = await api.Http.PatchAsJsonAsync(api.MessageUrl("c1", "nope"), new { text = "x" }, Ct);
        var delete = await api.Http.DeleteAsync(api.MessageUrl("c1", "nope"), Ct);
        var get = await api.Http.GetAsync(api.MessageUrl("c1", "nope"), Ct);

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound], new[] { edit.StatusCode, delete.StatusCode, get.StatusCode });
        Assert.Equal("application/problem+json", edit.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(api.Portal.Calls, c => c.Method.StartsWith("imconnector.update", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StaleExpectedVersion_IsAConflictCarryingTheCurrentText()
    {
        await using var api = await Api.StartAsync();
        await api.SendAsync(Api.Body(("c1", "m1", "v1")));
        await api.Http.PatchAsJsonAsync(api.MessageUrl("c1", "m1"), new { text = "v2", expectedVersion = 1 }, Ct);

        var stale = await api.Http.PatchAsJsonAsync(api.MessageUrl("c1", "m1"), new { text = "v2-other", expectedVersion = 1 }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var problem = await stale.Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal(("v2", 2), ((string?)problem!["currentText"], (int)problem["currentVersion"]!));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("lb_not-a-real-key")]
    public async Task RequestsWithoutAValidKey_Are401_AndNeverEchoTheKey(string? key)
    {
        await using var api = await Api.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = api.App.BaseUri };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        var response = await http.PostAsJsonAsync($"api/v1/lines/{api.Line}/messages", Api.Body(("c1", "m1", "x")), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        if (key is not null) Assert.DoesNotContain(key, body);
        Assert.DoesNotContain(api.Key, body);
        Assert.DoesNotContain(api.Portal.Calls, c => c.Method.Contains("send", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{}""", "messages" },
        { """{"messages":[]}""", "messages" },
        { """{"messages":[{"chat":{"id":"c"},"message":{"id":"m","text":"t"}}]}""", "messages[0].user" },
        { """{"messages":[{"user":{"id":""},"chat":{"id":"c"},"message":{"id":"m","text":"t"}}]}""", "messages[0].user.id" },
        { """{"messages":[{"user":{"id":"u"},"chat":{},"message":{"id":"m","text":"t"}}]}""", "messages[0].chat.id" },
        { """{"messages":[{"user":{"id":"u"},"chat":{"id":"c"},"message":{"text":"t"}}]}""", "messages[0].message.id" },
        { """{"messages":[{"user":{"id":"u"},"chat":{"id":"c"},"message":{"id":"m","text":" "}}]}""", "messages[0].message.text" },
        { """{"messages":[{"user":{"id":"u"},"chat":{"id":"c"},"message":{"id":"m","files":[{"url":"not a url"}]}}]}""", "messages[0].message.files[0].url" },
        { """{"messages":[{"user":{"id":"u"},"chat":{"id":"c"},"message":{"id":"m","text":"ok"}},{"user":{"id":"u"},"chat":{"id":"c"},"message":{"id":"m2"}}]}""", "messages[1].message.text" },
        { """{"messages":[{"user":{"id":5},"chat":{"id":"c"},"message":{"id":"m","text":"t"}}]}""", "messages[0].user.id" },
        { """not json""", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Send_Answers400NamingTheField_ForAnInvalidBody(string body, string field)
    {
        await using var api = await Api.StartAsync();

        var response = await api.Http.PostAsync($"api/v1/lines/{api.Line}/messages", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.True(problem!["errors"]!.AsObject().ContainsKey(field), $"errors name {field}: {problem}");
    }

    // A string one store can keep and another cannot (PostgreSQL's text refuses NUL; UTF-8 has no half characters)
    // is refused at the door on every provider, naming its field, before anything is stored or sent.
    public static TheoryData<string, string> UnstorableBodies => new()
    {
        { """{"messages":[{"user":{"id":"u"},"chat":{"id":"c"},"message":{"id":"m","text":"a\u0000b"}}]}""", "messages[0].message.text" },
        { """{"messages":[{"user":{"id":"u","name":"A\u0000"},"chat":{"id":"c"},"message":{"id":"m","text":"t"}}]}""", "messages[0].user.name" },
        { """{"messages":[{"user":{"id":"u"},"chat":{"id":"c\u0000"},"message":{"id":"m","text":"t"}}]}""", "messages[0].chat.id" },
        { """{"messages":[{"user":{"id":"u"},"chat":{"id":"c"},"message":{"id":"m","text":"half \ud83d of a smile"}}]}""", "messages[0].message.text" },
        { """{"messages":[{"user":{"id":"u"},"chat":{"id":"c"},"message":{"id":"m","text":"\ude00"}}]}""", "messages[0].message.text" },
    };

    [Theory]
    [MemberData(nameof(UnstorableBodies))]
    public async Task Send_Answers400NamingTheField_ForTextNoStoreCanKeep(string body, string field)
    {
        await using var api = await Api.StartAsync();

        var response = await api.Http.PostAsync($"api/v1/lines/{api.Line}/messages", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);
        var errors = problem!["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"errors name {field}: {problem}");
        Assert.Contains("cannot be stored", errors[field]!.ToJsonString());
        Assert.DoesNotContain(api.Portal.Calls, c => c.Method.Contains("send", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EditAndLookup_Answer400_ForANulInTheTextOrTheAddress()
    {
        await using var api = await Api.StartAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await api.SendAsync(Api.Body(("c1", "m1", "hello")))).StatusCode);

        var edit = await api.Http.PatchAsync(api.MessageUrl("c1", "m1"),
            new StringContent("""{"text":"bye\u0000"}""", System.Text.Encoding.UTF8, "application/json"), Ct);
        var lookup = await api.Http.GetAsync(api.MessageUrl("c1", "m1%00"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, edit.StatusCode);
        Assert.Contains("\"text\"", await edit.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, lookup.StatusCode); // Kestrel refuses a NUL in the decoded path
        Assert.Equal("hello", (string?)(await api.GetAsync("c1", "m1"))["text"]);
    }

    // Issue 10, item 9: the portal counts text as PHP's mb_ functions do (Unicode code points), so 19,999 × "a" plus
    // one emoji is 20,000 characters, not the 20,001 UTF-16 units .NET's Length sees.
    [Fact]
    public async Task Send_CountsTextInCodePoints_AsThePortalDoes()
    {
        await using var api = await Api.StartAsync();
        var exactly = new string('a', 19_999) + "\U0001F600";

        var accepted = await api.SendAsync(Api.Body(("c1", "m1", exactly)));
        var over = await api.SendAsync(Api.Body(("c1", "m2", exactly + "\U0001F600")));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Contains("20001 characters", await over.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Send_RefusesOversizedTextAndBatch_UnknownAndDisconnectedLines()
    {
        await using var api = await Api.StartAsync();
        var tooLong = await api.SendAsync(Api.Body(("c1", "m1", new string('x', 20_001))));
        var tooMany = await api.SendAsync(Api.Body(Enumerable.Range(0, 101).Select(i => ("c1", "m" + i, "x")).ToArray()));
        var unknownLine = await api.Http.PostAsJsonAsync("api/v1/lines/9999/messages", Api.Body(("c1", "m1", "x")), Ct);
        api.Portal.DisableConnector("linebridge", api.Line);
        await SandboxedApp.WaitUntilAsync(
            () => api.App.Services.GetRequiredService<LineConnections>().GetState(api.Portal.MemberId, api.Line) == LineConnectionState.Disconnected,
            "the status-delete event marks the line disconnected");
        var disconnected = await api.SendAsync(Api.Body(("c1", "m1", "x")));

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("messages[0].message.text", await tooLong.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownLine.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, disconnected.StatusCode);
        Assert.Contains("disconnected", await disconnected.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task PerItemFailure_IsRecordedWithThePortalsReason()
    {
        await using var api = await Api.StartAsync();

        // The API refuses an empty message itself, so this one goes in behind its back: the portal refuses that element alone.
        var service = api.App.Services.GetRequiredService<MessageService>();
        service.Send(api.Portal.MemberId, api.Line,
        [
            new(new() { Id = "u1" }, new() { Id = "ok", Text = "fine" }, new() { Id = "c1" }),
            new(new() { Id = "u1" }, new() { Id = "bad", Text = "" }, new() { Id = "c1" }),
        ], ChangeAuthor.Api);

        await api.WaitForStatusAsync("c1", "ok", "Sent");
        await api.WaitForStatusAsync("c1", "bad", "Failed");
        var bad = await api.GetAsync("c1", "bad");
        Assert.False(string.IsNullOrWhiteSpace((string?)bad["failureReason"]));
        Assert.Equal((string?)bad["failureReason"], (string?)bad["history"]![0]!["portalAnswer"]);
    }

    [Fact]
    public async Task ConcurrentEdits_ArriveInTheOrderAccepted_AndTheLastOneWins()
    {
        await using var api = await Api.StartAsync();
        await api.SendAsync(Api.Body(("c1", "m1", "v0")));

        // Many writers race; each edit names the version it saw, so accepted edits form one chain.
        var accepted = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(1, 8).Select(async writer =>
        {
            for (var attempt = 0; attempt < 20; attempt++)
            {
                var current = await api.GetAsync("c1", "m1");
                var text = $"writer {writer}";
                var r = await api.Http.PatchAsJsonAsync(api.MessageUrl("c1", "m1"), new { text, expectedVersion = (int)current["version"]! }, Ct);
                if (r.StatusCode == HttpStatusCode.Accepted) { accepted.Add(text); return; }
                Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            }
        }));
        var final = await api.GetAsync("c1", "m1");
        await SandboxedApp.WaitUntilAsync(() => api.PortalCopies("m1").SequenceEqual([(string)final["text"]!]), "the portal shows the last accepted edit");
        await api.WaitForStatusAsync("c1", "m1", "Sent");

        var history = (await api.GetAsync("c1", "m1"))["history"]!.AsArray();
        Assert.Equal(Enumerable.Range(1, history.Count), history.Select(v => (int)v!["version"]!));
        Assert.Equal(accepted.Count + 1, history.Count);
        var updates = api.Portal.Calls.Where(c => c.Method == "imconnector.update.messages" && c.Status == 200).ToList();
        // Edits queued behind one another go as one update with the newest text; the others are recorded as superseded.
        var statuses = history.Skip(1).Select(v => (string)v!["status"]!).ToList();
        Assert.All(statuses, s => Assert.Contains(s, new[] { "Sent", "Superseded" }));
        Assert.Equal(updates.Count, statuses.Count(s => s == "Sent"));
        Assert.Equal("Sent", statuses[^1]);
    }

    [Fact]
    public async Task NothingIsLostOrDuplicated_WhenThePortalFailsLosesAnswersAndExpiresTokens()
    {
        await using var api = await Api.StartAsync(s => s.Portals.ForEach(p => { p.RequestsPerSecond = 50; p.Burst = 500; }));
        api.App.Sandbox.Faults.Set(new FaultSettings
        {
            ErrorRate = 0.1, UnavailableRate = 0.05, UnavailableErrorCode = "SERVICE_UNAVAILABLE", LostResponseRate = 0.1, DropRate = 0.05,
            Methods = ["imconnector.send.messages", "imconnector.delete.messages", "imconnector.update.messages"], Seed = 7,
        });
        var ids = Enumerable.Range(0, 40).Select(i => "m" + i).ToList();
        foreach (var chunk in ids.Chunk(8))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await api.SendAsync(Api.Body(chunk.Select(id => ("c1", id, "text " + id)).ToArray()))).StatusCode);
            api.App.Sandbox.Faults.ExpireAccessTokens();
        }

        foreach (var id in ids) await api.WaitForStatusAsync("c1", id, "Sent");
        api.App.Sandbox.Faults.Clear();

        Assert.All(ids, id => Assert.Equal(["text " + id], api.PortalCopies(id)));
        Assert.Contains(api.Portal.Calls, c => c.Fault is not null);
    }
}
