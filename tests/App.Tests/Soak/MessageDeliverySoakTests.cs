using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Sandbox;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace LineBridge.Soak;

/// <summary>
/// Soak: sends and edits through the external API across four lines of two portals while the sandbox injects faults
/// (500, 503, latency, dropped connections, lost responses, QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT, token expiry)
/// and the app process is killed hard and restarted at seeded moments. Afterwards the portals hold exactly what the
/// app's log says: every accepted message once, with the text of its last accepted edit, edits in order.
/// The portals' lives go on meanwhile: a line is switched off in Contact Center and connected again, the second portal
/// is renamed (its old address answers 302), and it uninstalls the app and installs it again (then its lines are
/// connected again). The external system meets refusals while a line or the portal cannot take work and tries again.
/// Size and dice: <c>LINEBRIDGE_SOAK_OPERATIONS</c> (default 1000), <c>LINEBRIDGE_SOAK_RESTARTS</c> (default 3),
/// <c>LINEBRIDGE_SOAK_SEED</c> (default 7).
/// </summary>
public partial class MessageDeliverySoakTests
{
    private const int Workers = 8;
    private const string Connector = SoakPortals.Connector;
    // The pace of the whole client side, so kills and faults fall across a run of about a minute.
    private const double OperationsPerSecond = 25;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // An upper bound for a hung run only (the drain and every wait inside have bounds of their own). The bounded run
    // takes minutes; 5,000 operations with 10 restarts on the 2-core machine under other builds ran past 15 min.
    [Fact(Timeout = 60 * 60 * 1000)]
    public async Task SendsAndEdits_UnderFaultsAndHardRestarts_LeaveThePortalsEqualToTheLog()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var operations = EnvInt("LINEBRIDGE_SOAK_OPERATIONS", 1000);
        var restarts = EnvInt("LINEBRIDGE_SOAK_RESTARTS", 3);
        var seed = EnvInt("LINEBRIDGE_SOAK_SEED", 7);
        var dice = new Random(seed);
        var output = TestContext.Current.TestOutputHelper;

        var portalOptions = new[] { new SandboxPortalOptions { Host = "127.0.0.2" }, new SandboxPortalOptions { Host = "127.0.0.3", RenameHost = "127.0.0.5" } };
        await using var sandbox = await SandboxHost.StartAsync(new SandboxOptions
        {
            Portals = [.. portalOptions],
            ConfigureLogging = l => l.SetMinimumLevel(LogLevel.Critical),
        }, cancellationToken);

        var dataDirectory = Directory.CreateTempSubdirectory("linebridge-soak-").FullName;
        try
        {
            var port = AppProcess.FreePort();
            var environment = new Dictionary<string, string>
            {
                ["Bitrix24__ClientId"] = sandbox.App.ClientId,
                ["Bitrix24__ClientSecret"] = sandbox.App.ClientSecret,
                ["Bitrix24__PublicBaseUrl"] = $"http://127.0.0.1:{port}",
                ["Bitrix24__OAuthServer"] = sandbox.OAuthUri.AbsoluteUri,
                ["Bitrix24__SandboxOrigins__0"] = sandbox.Portals[0].BaseUri.GetLeftPart(UriPartial.Authority),
                ["Bitrix24__SandboxOrigins__1"] = sandbox.Portals[1].BaseUri.GetLeftPart(UriPartial.Authority),
                ["Storage__DataDirectory"] = dataDirectory,
                // The soak drives the API as fast as it can; the per-key limit is proven elsewhere.
                ["Api__RateLimit__RequestsPerSecond"] = "1000000",
                ["Api__RateLimit__Burst"] = "1000000",
                // Short back-off so a faulted item goes again within the run; the rule itself is unit-tested.
                ["Messages__RetryDelay"] = "00:00:00.200",
                ["Messages__MaxRetryDelay"] = "00:00:02",
                ["Messages__PollInterval"] = "00:00:01",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            await using var app = new AppProcess(port, environment);
            sandbox.ConfigureApp(handlerUrl: new Uri(app.BaseUri, "placement").AbsoluteUri, installUrl: new Uri(app.BaseUri, "install").AbsoluteUri);

            // Install on both portals through the app, connect lines 1 and 2 on each, then (app stopped, as LiteDB
            // is one process's file) give each portal an API key and record the connections as the UI would.
            app.Start();
            await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), Ct);
            using (var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(100) })
            {
                foreach (var portal in sandbox.Portals) await SoakPortals.InstallAndConnectAsync(browser, portal, lines: 2, Ct);
            }
            var lines = new List<SoakLine>();
            var keys = new Dictionary<string, string>();
            app.Kill();
            using (var db = new LiteDatabase($"Filename={Path.Combine(dataDirectory, new LiteDbOptions().FileName)};Connection=direct"))
            {
                var connections = new LineConnections(db, TimeProvider.System);
                var apiKeys = new ApiKeys(db, TimeProvider.System);
                for (var p = 0; p < sandbox.Portals.Count; p++)
                {
                    var portal = sandbox.Portals[p];
                    keys[portal.MemberId] = await apiKeys.RotateAsync(portal.MemberId, Ct);
                    foreach (var line in portal.OpenLines.Where(l => l.Active).Take(2))
                    {
                        connections.MarkConnected(portal.MemberId, line.Id);
                        lines.Add(new SoakLine(p, portal, line.Id, keys[portal.MemberId]));
                    }
                }
            }
            Assert.Equal(4, lines.Count);
            app.Start();
            await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), Ct);

            // Faults for the whole workload. The second portal also runs out of operating time on update.messages
            // (429 OPERATION_TIME_LIMIT, 10 minutes to reset) until the limit is lifted halfway.
            sandbox.Faults.Set(new FaultSettings
            {
                ErrorRate = 0.04, UnavailableRate = 0.04, UnavailableErrorCode = "QUERY_LIMIT_EXCEEDED",
                DropRate = 0.03, LostResponseRate = 0.03, Latency = TimeSpan.FromMilliseconds(30), Seed = seed,
            });
            portalOptions[1].SimulatedCostByMethod["imconnector.update.messages"] = 30;
            portalOptions[1].OperatingLimitSeconds = 60;

            var ledger = new Ledger();
            var done = 0;
            var stats = new ClientStats();
            using var workloadOver = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var killAt = Enumerable.Range(0, restarts).Select(_ => (int)(operations * (0.1 + 0.8 * dice.NextDouble()))).Order().ToList();
            var workerSeeds = Enumerable.Range(0, Workers).Select(_ => dice.Next()).ToList();
            var chaosSeed = dice.Next();

            var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => RunWorkerAsync(
                w, lines[w % lines.Count], operations / Workers + (w < operations % Workers ? 1 : 0), new Random(workerSeeds[w]),
                app.BaseUri, ledger, stats, () => Interlocked.Increment(ref done)), Ct)).ToList();

            var lifecycle = new Lifecycle(sandbox, app, dataDirectory, lines, operations);
            var chaos = Task.Run(async () =>
            {
                var random = new Random(chaosSeed);
                var nextExpiry = DateTime.UtcNow + TimeSpan.FromSeconds(2 + 4 * random.NextDouble());
                var operatingLifted = false;
                while (!workloadOver.IsCancellationRequested)
                {
                    await lifecycle.StepAsync(Volatile.Read(ref done));
                    if (killAt.Count > 0 && Volatile.Read(ref done) >= killAt[0])
                    {
                        killAt.RemoveAt(0);
                        await Task.Delay(random.Next(0, 400), Ct);
                        app.Kill();
                        app.Start();
                    }
                    if (DateTime.UtcNow >= nextExpiry)
                    {
                        sandbox.Faults.ExpireAccessTokens();
                        stats.TokenExpiries++;
                        nextExpiry = DateTime.UtcNow + TimeSpan.FromSeconds(2 + 4 * random.NextDouble());
                    }
                    if (!operatingLifted && Volatile.Read(ref done) >= operations / 2)
                    {
                        portalOptions[1].OperatingLimitSeconds = 0;
                        operatingLifted = true;
                    }
                    try { await Task.Delay(50, workloadOver.Token); } catch (OperationCanceledException) { }
                }
            }, Ct);

            var clientTime = System.Diagnostics.Stopwatch.StartNew();
            await Task.WhenAll(workers);
            clientTime.Stop();
            // One more hard kill while the outbox is still busy, with faults on: a restart must resume it.
            app.Kill();
            app.Start();
            workloadOver.Cancel();
            await chaos;
            await lifecycle.FinishAsync();

            sandbox.Faults.Clear();
            portalOptions[1].OperatingLimitSeconds = 0;
            await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), Ct);
            // A kill inside a token refresh leaves the app holding a spent single-use refresh token: the portal then
            // needs an administrator to open the app, which hands it fresh tokens. Do that, as the app asks.
            using (var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(100) })
            {
                foreach (var portal in sandbox.Portals)
                {
                    // The app may still be draining at the portal's ceiling, so the portal can refuse the check of the
                    // administrator's token with QUERY_LIMIT_EXCEEDED (verification never retries): the administrator
                    // opens the app again, as the answer asks, until the portal's bucket has room.
                    var deadline = DateTime.UtcNow.AddSeconds(90);
                    while (true)
                    {
                        var frame = portal.BuildFramePost(userId: 1);
                        using var opened = await browser.PostAsync(frame.Url, frame.ToContent(), Ct);
                        if (opened.StatusCode == HttpStatusCode.SeeOther) break;
                        var body = await opened.Content.ReadAsStringAsync(Ct);
                        Assert.True(body.Contains("QUERY_LIMIT_EXCEEDED", StringComparison.Ordinal) && DateTime.UtcNow < deadline,
                            $"admin opens the app on {portal.Host}: {(int)opened.StatusCode} {body}");
                        await Task.Delay(TimeSpan.FromSeconds(1), Ct);   // the bucket drains at its own pace
                    }
                }
            }

            // Drain: every message reaches Sent at its last accepted version and text.
            var drainTime = System.Diagnostics.Stopwatch.StartNew();
            var views = await DrainAsync(app, ledger, TimeSpan.FromMinutes(5));
            drainTime.Stop();

            var problems = new List<string>();
            foreach (var message in ledger.Messages)
            {
                var view = views[message.Key];
                var history = view["history"]!.AsArray().Select(v => (string?)v!["newText"]).ToList();
                if (!history.SequenceEqual(message.Texts))
                {
                    problems.Add($"{message.Key}: log history [{string.Join(" | ", history)}] differs from the accepted texts [{string.Join(" | ", message.Texts)}]");
                }
                var copies = message.Line.Portal.Dialogs
                    .Where(d => d.Connector == Connector)
                    .SelectMany(d => d.Messages.Where(m => m.ConnectorMid.Contains(message.Id)).Select(m => (Dialog: d, Message: m)))
                    .ToList();
                if (copies.Count != 1)
                {
                    // With the portal's own record of every call that named the message: which path sent it twice.
                    var named = message.Line.Portal.Calls.Where(c => c.Parameters.Contains($"\"{message.Id}\"", StringComparison.Ordinal))
                        .Select(c => $"\n    {c.Time:HH:mm:ss.fff} {c.Method} {c.Status} {c.Error} {c.Fault}");
                    problems.Add($"{message.Key}: {copies.Count} copies in the portal ({string.Join(", ", copies.Select(c => $"'{c.Message.Text}'"))}), expected 1{string.Concat(named)}");
                    continue;
                }
                var (dialog, copy) = copies[0];
                if (dialog.Line != message.Line.Line || dialog.ExternalChatId != message.Chat)
                {
                    problems.Add($"{message.Key}: found in line {dialog.Line} chat '{dialog.ExternalChatId}'");
                }
                if (copy.Text != message.Texts[^1])
                {
                    problems.Add($"{message.Key}: portal text '{copy.Text}', last accepted '{message.Texts[^1]}' (accepted: {string.Join(" | ", message.Texts)})");
                }
                if (copy.Edited != message.Texts.Count > 1)
                {
                    problems.Add($"{message.Key}: portal edited flag {copy.Edited} after {message.Texts.Count - 1} edits");
                }
            }
            // Nothing in the portals' connector dialogs that no one accepted.
            var known = ledger.Messages.Select(m => m.Id).ToHashSet();
            foreach (var portal in sandbox.Portals)
            {
                foreach (var stray in portal.Dialogs.Where(d => d.Connector == Connector).SelectMany(d => d.Messages)
                             .Where(m => !m.FromOperator && !m.ConnectorMid.Any(known.Contains)))
                {
                    problems.Add($"{portal.Host}: message {stray.Id} '{stray.Text}' was never accepted");
                }
            }

            var calls = sandbox.Portals.SelectMany(p => p.Calls).ToList();
            var summary = new StringBuilder()
                .AppendLine($"soak seed {seed}: {operations} operations by {Workers} clients on {lines.Count} lines of 2 portals in {clientTime.Elapsed.TotalSeconds:F0} s, drained in {drainTime.Elapsed.TotalSeconds:F0} s")
                .AppendLine($"accepted: {ledger.Messages.Count} messages, {ledger.Messages.Sum(m => m.Texts.Count - 1)} edits; client retries after no answer: {stats.SendRetries} sends, {stats.EditRetries} edits; edits found applied on retry: {stats.EditsAppliedBeforeRetry}; duplicate answers: {stats.DuplicateAnswers}")
                .AppendLine($"app: {app.Starts} starts, {app.Kills} hard kills; forced token expiries: {stats.TokenExpiries}; refresh tokens lost to a kill (portal re-opened by an admin): {app.RefusedRefreshes}")
                .AppendLine($"portal lives: {string.Join(", ", lifecycle.Done)}; requests refused while a line or portal could not take work (tried again): {stats.RefusedWhileAway}")
                .AppendLine($"portal REST calls: {calls.Count}; faults met: " + string.Join(", ", calls
                    .Select(c => c.Fault is null ? c.Error : $"injected {c.Fault}" + (c.Error is null ? "" : $" {c.Error}")).Where(f => f is not null).GroupBy(f => f!).OrderBy(g => g.Key)
                    .Select(g => $"{g.Key} {g.Count()}")))
                .ToString();
            output?.WriteLine(summary);

            Assert.True(problems.Count == 0, $"{problems.Count} mismatches between the portals and the log:\n{string.Join('\n', problems.Take(40))}\n\n{summary}");
            Assert.True(app.Kills >= restarts + 1, summary);
            Assert.Contains(calls, c => c.Error == "OPERATION_TIME_LIMIT");
            Assert.Contains(calls, c => c.Error == "expired_token");
            Assert.Contains(calls, c => c.Error == "QUERY_LIMIT_EXCEEDED");
            Assert.Contains(calls, c => c.Fault is not null && c.Fault.Contains("lost", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(calls, c => c.Fault is not null && c.Fault.Contains("drop", StringComparison.OrdinalIgnoreCase));
            Assert.Equal(["line off", "renamed", "line on", "uninstalled", "reinstalled"], lifecycle.Done);
            Assert.Contains(calls, c => c.Status == 302);
        }
        finally
        {
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    // ---- the external system: one client per worker, each owning its own chats ----

    private static async Task RunWorkerAsync(
        int worker, SoakLine line, int operations, Random random, Uri app, Ledger ledger, ClientStats stats, Func<int> completed)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = app, Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", line.Key);
        var mine = new List<SoakMessage>();
        var next = 0;
        var left = operations;
        while (left > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(random.NextDouble() * 2 * Workers / OperationsPerSecond), Ct);
            if (mine.Count == 0 || random.NextDouble() < 0.4)
            {
                var batch = Enumerable.Range(0, Math.Min(left, random.Next(1, 4))).Select(_ =>
                {
                    var id = $"w{worker}-m{next++}";
                    return new SoakMessage(line, $"w{worker}-c{random.Next(3)}", id, [$"{id} v1"]);
                }).ToList();
                await SendAsync(http, line, batch, stats);
                foreach (var message in batch)
                {
                    mine.Add(message);
                    ledger.Add(message);
                    left--;
                    completed();
                }
            }
            else
            {
                var message = mine[random.Next(mine.Count)];
                await EditAsync(http, line, message, $"{message.Id} v{message.Texts.Count + 1}", stats);
                left--;
                completed();
            }
        }
    }

    /// <summary>Posts until answered: the API is idempotent on (chat.id, message.id), so a lost answer is simply sent again.</summary>
    private static async Task SendAsync(HttpClient http, SoakLine line, IReadOnlyList<SoakMessage> batch, ClientStats stats)
    {
        var body = new
        {
            messages = batch.Select(m => new
            {
                user = new { id = "user-" + m.Chat, name = "Soak" },
                chat = new { id = m.Chat, name = "Chat " + m.Chat },
                message = new { id = m.Id, text = m.Texts[0] },
            }),
        };
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0) Interlocked.Increment(ref stats.SendRetries);
            var answer = await TryAsync(() => http.PostAsJsonAsync($"api/v1/lines/{line.Line}/messages", body, Ct));
            if (answer is null) continue;
            using (answer)
            {
                var text = await answer.Content.ReadAsStringAsync(Ct);
                if (IsAway(answer.StatusCode, text))
                {
                    // The line is switched off or the portal uninstalled the app: the external system tries later.
                    Interlocked.Increment(ref stats.RefusedWhileAway);
                    await Task.Delay(200, Ct);
                    attempt--;
                    continue;
                }
                Assert.True(answer.StatusCode == HttpStatusCode.Accepted, $"send {batch[0].Id}: {(int)answer.StatusCode} {text}");
                var results = JsonNode.Parse(text)!["results"]!.AsArray();
                Assert.Equal(batch.Select(m => m.Id), results.Select(r => (string?)r!["messageId"]));
                Interlocked.Add(ref stats.DuplicateAnswers, results.Count(r => (bool)r!["duplicate"]!));
                return;
            }
        }
    }

    /// <summary>
    /// PATCH with <c>expectedVersion</c> until answered. After an unanswered attempt, a 409 whose current version is the
    /// one we asked for and whose text is ours means the earlier attempt was accepted.
    /// </summary>
    private static async Task EditAsync(HttpClient http, SoakLine line, SoakMessage message, string newText, ClientStats stats)
    {
        var expected = message.Texts.Count;
        var url = $"api/v1/lines/{line.Line}/chats/{message.Chat}/messages/{message.Id}";
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0) Interlocked.Increment(ref stats.EditRetries);
            var answer = await TryAsync(() => http.PatchAsJsonAsync(url, new { text = newText, expectedVersion = expected }, Ct));
            if (answer is null) continue;
            using (answer)
            {
                var text = await answer.Content.ReadAsStringAsync(Ct);
                if (IsAway(answer.StatusCode, text))
                {
                    Interlocked.Increment(ref stats.RefusedWhileAway);
                    await Task.Delay(200, Ct);
                    continue;
                }
                var json = JsonNode.Parse(text)!;
                if (answer.StatusCode == HttpStatusCode.Accepted)
                {
                    Assert.True((int?)json["version"] == expected + 1, $"edit {message.Id}: accepted as version {json["version"]}, expected {expected + 1}");
                }
                else if (answer.StatusCode == HttpStatusCode.Conflict && attempt > 0
                         && (int?)json["currentVersion"] == expected + 1 && (string?)json["currentText"] == newText)
                {
                    Interlocked.Increment(ref stats.EditsAppliedBeforeRetry);
                }
                else
                {
                    Assert.Fail($"edit {message.Id} to '{newText}' at version {expected} (attempt {attempt + 1}): {(int)answer.StatusCode} {text}");
                }
                message.Texts.Add(newText);
                return;
            }
        }
    }

    /// <summary>The API's refusal while the line is not connected or the app is not installed on the portal.</summary>
    private static bool IsAway(HttpStatusCode status, string body) =>
        status == HttpStatusCode.Conflict && (string?)JsonNode.Parse(body)!["title"] is "The line is not connected." or "LineBridge is not installed on the portal.";

    /// <summary>The answer, or null when none came (app killed, restarting, connection cut); then wait a moment.</summary>
    private static async Task<HttpResponseMessage?> TryAsync(Func<Task<HttpResponseMessage>> call)
    {
        try
        {
            var response = await call();
            // A dying Kestrel may still answer 5xx on its way down; the contract treats that as no answer.
            if ((int)response.StatusCode >= 500)
            {
                response.Dispose();
            }
            else
            {
                return response;
            }
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException) when (!Ct.IsCancellationRequested)
        {
        }
        await Task.Delay(200, Ct);
        return null;
    }

    /// <summary>
    /// Whether a message's API view shows it delivered at its last accepted version and text: the message and its last
    /// version Sent, each older version Sent or, for an edit that a newer queued edit carried (issue 15's coalescing),
    /// Superseded. A superseded version never went out on its own, so it is settled without a Sent of its own.
    /// </summary>
    internal static bool IsSettled(JsonObject view, IReadOnlyList<string> texts)
    {
        if ((string?)view["status"] != "Sent" || (int?)view["version"] != texts.Count || (string?)view["text"] != texts[^1]) return false;
        var history = view["history"]!.AsArray();
        if (history.Count == 0 || (string?)history[^1]!["status"] != "Sent") return false;
        return history.All(v => (string?)v!["status"] is "Sent" or "Superseded");
    }

    private static async Task<Dictionary<string, JsonObject>> DrainAsync(AppProcess app, Ledger ledger, TimeSpan timeout)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = app.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var views = new Dictionary<string, JsonObject>();
        var pending = ledger.Messages.ToList();
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (pending.Count > 0)
        {
            var still = new List<SoakMessage>();
            foreach (var message in pending)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/lines/{message.Line.Line}/chats/{message.Chat}/messages/{message.Id}");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", message.Line.Key);
                using var response = await http.SendAsync(request, Ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"read {message.Key}: {(int)response.StatusCode}");
                var view = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
                var status = (string?)view["status"];
                Assert.True(status != "Failed", $"{message.Key} failed: {view["failureReason"]}");
                if (IsSettled(view, message.Texts))
                {
                    views[message.Key] = view;
                }
                else
                {
                    still.Add(message);
                    last = $"{message.Key}: {status} v{view["version"]} '{view["text"]}'";
                }
            }
            pending = still;
            if (pending.Count == 0) break;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{pending.Count} messages not delivered in {timeout}, e.g. {last}\n{app.RecentOutput}");
            }
            await Task.Delay(500, Ct);
        }
        return views;
    }

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    private sealed record SoakLine(int PortalIndex, SandboxPortal Portal, int Line, string Key);

    /// <summary>A message as the external system knows it: every text the API accepted, in order.</summary>
    private sealed record SoakMessage(SoakLine Line, string Chat, string Id, List<string> Texts)
    {
        public string Key => $"{Line.Portal.Host}/line {Line.Line}/{Chat}/{Id}";
    }

    private sealed class Ledger
    {
        private readonly ConcurrentQueue<SoakMessage> _messages = new();
        public void Add(SoakMessage message) => _messages.Enqueue(message);
        public IReadOnlyList<SoakMessage> Messages => [.. _messages];
    }

    private sealed class ClientStats
    {
        public int SendRetries;
        public int EditRetries;
        public int EditsAppliedBeforeRetry;
        public int DuplicateAnswers;
        public int TokenExpiries;
        public int RefusedWhileAway;
    }

    /// <summary>
    /// The portals' lives during the workload, each step once its share of the operations is done: portal 1's first
    /// line switched off in Contact Center, portal 2 renamed, the line connected again, portal 2 uninstalls the app,
    /// installs it again and gets its lines connected again. Connecting a line is what the app's open-lines service
    /// does (<c>imconnector.activate</c>, then the app's record of the line), the record written with the app stopped
    /// because LiteDB belongs to one process.
    /// </summary>
    private sealed class Lifecycle(SandboxHost sandbox, AppProcess app, string dataDirectory, IReadOnlyList<SoakLine> lines, int operations)
    {
        public List<string> Done { get; } = [];

        public async Task StepAsync(int done)
        {
            var first = sandbox.Portals[0];
            var second = sandbox.Portals[1];
            if (Due(done, 0.2, "line off"))
            {
                first.DisableConnector(Connector, lines[0].Line);
            }
            else if (Due(done, 0.3, "renamed"))
            {
                second.Rename();
            }
            else if (Due(done, 0.45, "line on"))
            {
                await ConnectAsync(first, [lines[0].Line]);
            }
            else if (Due(done, 0.55, "uninstalled"))
            {
                second.UninstallApp(clean: false);
                // Events are never retried: wait for this one to land before anything kills the app.
                await SandboxedApp.WaitUntilAsync(() => second.EventDeliveries.Any(d => d.Event == "ONAPPUNINSTALL" && d.Status == 200), "the app heard of the uninstall");
            }
            else if (Due(done, 0.7, "reinstalled"))
            {
                await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), Ct);
                using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(100) };
                // The install frame, as often as the portal makes it fail (an administrator reloads the page). The
                // portal's random faults pause meanwhile: an install makes a dozen calls, and the run should not wait
                // on the odds of all of them passing.
                var faults = sandbox.Faults.Current;
                sandbox.Faults.Clear();
                await UntilAsync(async () =>
                {
                    var frame = second.BuildFramePost(userId: 1);
                    using var installed = await browser.PostAsync(frame.Url, frame.ToContent(), Ct);
                    return installed.IsSuccessStatusCode;
                }, $"the app is installed again on {second.Host}");
                sandbox.Faults.Set(faults);
                second.FinishInstall(userId: 1);
                await ConnectAsync(second, lines.Where(l => l.PortalIndex == 1).Select(l => l.Line).ToList());
            }
        }

        /// <summary>Steps the workload ended before reaching still happen, so every run has the whole life.</summary>
        public async Task FinishAsync()
        {
            while (Done.Count < 5) await StepAsync(operations);
        }

        private bool Due(int done, double share, string step)
        {
            if (Done.Contains(step) || done < operations * share) return false;
            Done.Add(step);
            return true;
        }

        private async Task ConnectAsync(SandboxPortal portal, IReadOnlyList<int> lineIds)
        {
            using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(100) };
            var token = (string?)(await browser.GetFromJsonAsync<JsonObject>(new Uri(portal.BaseUri, "_sandbox/token?user=1"), Ct))!["access_token"];
            foreach (var line in lineIds)
            {
                // Faults are on: an injected failure is simply tried again, as an administrator would.
                await UntilAsync(async () =>
                {
                    using var activate = new HttpRequestMessage(HttpMethod.Post, new Uri(portal.RestUri, "imconnector.activate"))
                    {
                        Content = JsonContent.Create(new { CONNECTOR = Connector, LINE = line, ACTIVE = 1 }),
                    };
                    activate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    using var answer = await browser.SendAsync(activate, Ct);
                    return answer.IsSuccessStatusCode;
                }, $"line {line} of {portal.Host} is activated");
            }
            app.Kill();
            using (var db = new LiteDatabase($"Filename={Path.Combine(dataDirectory, new LiteDbOptions().FileName)};Connection=direct"))
            {
                var connections = new LineConnections(db, TimeProvider.System);
                foreach (var line in lineIds) connections.MarkConnected(portal.MemberId, line);
            }
            app.Start();
        }

        /// <summary>Tries <paramref name="attempt"/> until it succeeds; a connection refused meanwhile (the app restarts) is one more try.</summary>
        private static Task UntilAsync(Func<Task<bool>> attempt, string what) =>
            SandboxedApp.WaitUntilAsync(async () =>
            {
                try
                {
                    return await attempt();
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, what, TimeSpan.FromSeconds(120));
    }
}
