using System.Net;
using System.Net.Http.Json;
using System.Text;
using LineBridge.Components.OpenLines;
using LineBridge.Hostile;
using LineBridge.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Secrets;

/// <summary>
/// Tokens, the client secret, API keys and application tokens never appear in the app's logs (every level, every
/// category), in error bodies or rendered pages, and tokens are not in the data files in clear.
/// </summary>
public sealed class SecretsTests(SecretsTests.Fixture fixture) : IClassFixture<SecretsTests.Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Two portals with every log category at Trace, and one full flow run once for all the checks.</summary>
    public sealed class Fixture : TwoPortals
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private bool _ran;

        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:System"] = "Trace",
            // appsettings.json keeps HttpClient at Warning (a quiet console); here every call must be seen.
            ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Trace",
        };

        /// <summary>Secrets seen at any point (tokens before and after the refresh, the user's frame tokens).</summary>
        public Dictionary<string, string> Seen { get; } = [];

        /// <summary>Bodies of failed requests and rendered pages, by what was asked.</summary>
        public Dictionary<string, string> Bodies { get; } = [];

        /// <summary>Install (done by the fixture), send (too), edit, token refresh, portal events, failures, pages.</summary>
        public async Task RunFlowAsync()
        {
            await _gate.WaitAsync();
            try
            {
                if (_ran) return;
                Remember();

                // Edit through the API.
                using (var edit = new HttpRequestMessage(HttpMethod.Patch, $"api/v1/lines/{Line}/chats/{A.ChatId}/messages/{A.MessageId}")
                {
                    Content = JsonContent.Create(new { text = "Edited" }),
                })
                {
                    edit.Headers.Authorization = new("Bearer", A.ApiKey);
                    var edited = await Http.SendAsync(edit);
                    if (edited.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"edit: {(int)edited.StatusCode}");
                }
                await SandboxedApp.WaitUntilAsync(() => A.Portal.Dialogs.SelectMany(d => d.Messages).Any(m => m.Text.Contains("Edited", StringComparison.Ordinal)), "the edit reaches the portal");

                // Refresh: the portal expires the tokens, the next call refreshes them.
                var refreshesBefore = App.OAuth.Count;
                A.Portal.ExpireAccessTokens();
                await App.Services.GetRequiredService<IOpenLineDirectory>().GetLinesAsync(AdminSession(A.MemberId, A.Portal.Domain));
                if (App.OAuth.Count == refreshesBefore) throw new InvalidOperationException("no refresh happened");
                Remember();

                // Events from the portal: an operator reply and a line switched off in Contact Center.
                var deliveries = A.Portal.EventDeliveries.Count;
                await A.Portal.OperatorReplyAsync(Line, A.ChatId, "Operator answer");
                A.Portal.DisableConnector("linebridge", 3);
                await SandboxedApp.WaitUntilAsync(() => A.Portal.EventDeliveries.Count > deliveries, "the portal delivers an event");

                // Failures carrying secrets in the request: wrong keys, forged events and frames.
                await FailAsync("api with B's key on A's message", HttpMethod.Get, $"api/v1/lines/{Line}/chats/{A.ChatId}/messages/{A.MessageId}", B.ApiKey);
                await FailAsync("api with a key one character short", HttpMethod.Get, $"api/v1/lines/{Line}/chats/{A.ChatId}/messages/{A.MessageId}", A.ApiKey[..^1]);
                await BodyAsync("event with A's token for B", Http.PostAsync("events", Form(("event", "ONAPPUNINSTALL"), ("auth[member_id]", B.MemberId), ("auth[application_token]", Seen.First(p => p.Key.StartsWith("application token A", StringComparison.Ordinal)).Value))));
                var frame = A.Portal.BuildFramePost(userId: 1);
                Seen["the user's frame AUTH_ID"] = frame.Form["AUTH_ID"];
                await BodyAsync("placement claiming B", App.PostFrameAsync("placement", frame, new Dictionary<string, string?> { ["member_id"] = B.MemberId }));
                await BodyAsync("install claiming B", App.PostFrameAsync("install", frame, new Dictionary<string, string?> { ["member_id"] = B.MemberId }));
                await BodyAsync("oauth with a wrong secret through the app's portal", Http.GetAsync(new Uri(A.Portal.BaseUri,
                    $"oauth/token/?grant_type=refresh_token&client_id={App.Sandbox.App.ClientId}&client_secret=wrong&refresh_token={Seen.Last(p => p.Key.StartsWith("refresh token A", StringComparison.Ordinal)).Value}")));

                // Pages, as the frame loads them.
                await BodyAsync("lines page", Http.GetAsync("lines?ticket=" + Uri.EscapeDataString(A.Ticket)));
                await BodyAsync("connector page", Http.GetAsync("connector?ticket=" + Uri.EscapeDataString(A.Ticket)));
                await BodyAsync("home page", Http.GetAsync(""));
                await BodyAsync("install page (B reinstalls)", App.PostFrameAsync("install", B.Portal.BuildFramePost(userId: 1), new Dictionary<string, string?>()));
                Remember();
                _ran = true;
            }
            finally
            {
                _gate.Release();
            }
        }

        private void Remember()
        {
            var found = Secrets().Concat(App.OAuth.RefreshTokensSent.Select(t => KeyValuePair.Create("refresh token sent to the token server", t)));
            foreach (var (name, value) in found)
            {
                if (!Seen.ContainsValue(value)) Seen[$"{name.Replace("127.0.0.2", "A").Replace("127.0.0.3", "B")} (#{Seen.Count})"] = value;
            }
        }

        private async Task FailAsync(string what, HttpMethod method, string path, string key)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new("Bearer", key);
            await BodyAsync(what, Http.SendAsync(request));
        }

        private async Task BodyAsync(string what, Task<HttpResponseMessage> response)
        {
            using var answer = await response;
            Bodies[what] = $"{(int)answer.StatusCode} {answer.Headers} {await answer.Content.ReadAsStringAsync()}";
        }

        private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
            new(fields.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)));
    }

    [Fact]
    public async Task Logs_OfAFullFlow_ContainNoSecret()
    {
        await fixture.RunFlowAsync();

        var logs = string.Join('\n', fixture.Logs.Entries);
        Assert.Contains("Microsoft.AspNetCore", logs, StringComparison.Ordinal);   // the capture saw the framework's own logs
        Assert.Contains("System.Net.Http", logs, StringComparison.Ordinal);         // and the outgoing calls
        AssertNoSecretIn("logs", logs);
    }

    [Fact]
    public async Task ErrorBodiesAndPages_ContainNoSecret()
    {
        await fixture.RunFlowAsync();

        Assert.NotEmpty(fixture.Bodies);
        foreach (var (what, body) in fixture.Bodies) AssertNoSecretIn(what, body);
    }

    [Fact]
    public async Task DataFiles_HoldNoTokenOrKeyInClear()
    {
        await fixture.RunFlowAsync();

        var files = fixture.App.DataFiles().ToList();
        Assert.Contains(files, f => f.Bytes.Length > 0);
        // The file does hold the portals (so the search would find a token stored in clear).
        Assert.Contains(files, f => Contains(f.Bytes, Encoding.UTF8.GetBytes(fixture.A.MemberId)));
        foreach (var (path, bytes) in files)
        {
            foreach (var (name, secret) in fixture.Seen)
            {
                Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(secret)) || Contains(bytes, Encoding.Unicode.GetBytes(secret)),
                    $"{name} is in {Path.GetFileName(path)} in clear");
            }
        }
    }

    private void AssertNoSecretIn(string where, string text)
    {
        Assert.NotEmpty(fixture.Seen);
        foreach (var (name, secret) in fixture.Seen)
        {
            Assert.True(secret.Length >= 8, $"{name} is too short to search for");
            var at = text.IndexOf(secret, StringComparison.Ordinal);
            Assert.True(at < 0, $"{name} appears in {where}: …{(at < 0 ? "" : text.Substring(Math.Max(0, at - 200), Math.Min(text.Length - Math.Max(0, at - 200), 260 + secret.Length)))}…");
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
