using System.Net;
using System.Text;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Replies;
using LineBridge.Sandbox;
using LineBridge.Storage;
using LineBridge.Storage.PostgreSql;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LineBridge.Soak;

// The multi-instance soak (issue 14): the same clients and checks as the soak above, against three app processes on
// one PostgreSQL database.
public partial class MessageDeliverySoakTests
{
    /// <summary>
    /// Three LineBridge processes on one PostgreSQL database serve two sandbox portals. Eight clients send and edit
    /// through all three (each client through one instance) while the sandbox injects faults (500, 503
    /// QUERY_LIMIT_EXCEEDED, dropped connections, lost responses, latency) and expires every access token every few
    /// seconds, and instances are killed hard at random moments (the whole process, no shutdown) and started again.
    /// Afterwards: each portal holds exactly what the log says (every accepted message once, with its last accepted
    /// text, edits in order, nothing else); the portals' own rate limit refused nothing once the burst was over
    /// (the instances share each portal's budget); each expiry cost each portal exactly one refresh (never two, whatever
    /// instance met the expired token). Skipped without PostgreSQL (failing under CI=true). Size and dice:
    /// <c>LINEBRIDGE_MI_SOAK_OPERATIONS</c> (default 240), <c>LINEBRIDGE_MI_SOAK_KILLS</c> (default 3),
    /// <c>LINEBRIDGE_MI_SOAK_SEED</c> (default 11).
    /// </summary>
    [Fact(Timeout = 15 * 60 * 1000)]
    public async Task ThreeInstancesOnOnePostgreSqlDatabase_UnderFaultsAndHardKills_LeaveThePortalsEqualToTheLog()
    {
        var operations = EnvInt("LINEBRIDGE_MI_SOAK_OPERATIONS", 240);
        var kills = EnvInt("LINEBRIDGE_MI_SOAK_KILLS", 3);
        var seed = EnvInt("LINEBRIDGE_MI_SOAK_SEED", 11);
        var dice = new Random(seed);
        var output = TestContext.Current.TestOutputHelper;
        var started = System.Diagnostics.Stopwatch.StartNew();

        await using var database = await TestPostgres.CreateDatabaseAsync(TestContext.Current.CancellationToken);
        await using var sandbox = await SandboxHost.StartAsync(new SandboxOptions
        {
            Portals = [new SandboxPortalOptions { Host = "127.0.0.2" }, new SandboxPortalOptions { Host = "127.0.0.3" }],
            ConfigureLogging = l => l.SetMinimumLevel(LogLevel.Critical),
        }, Ct);
        await using var tap = await TokenServerTap.StartAsync(sandbox.OAuthUri);
        await using var webhook = await WebhookReceiver.StartAsync();

        var ports = Enumerable.Range(0, 3).Select(_ => AppProcess.FreePort()).ToList();
        // The load balancer in front: the portals (install, events) and the clients reach the instances through it.
        await using var proxy = await FrontProxy.StartAsync(AppProcess.FreePort(), [.. ports.Select(port => new Uri($"http://127.0.0.1:{port}/"))]);
        var folders = ports.Select(_ => Directory.CreateTempSubdirectory("linebridge-mi-soak-").FullName).ToList();
        var instances = new List<AppProcess>();
        try
        {
            for (var i = 0; i < ports.Count; i++)
            {
                instances.Add(new AppProcess(ports[i], new Dictionary<string, string>
                {
                    ["Bitrix24__ClientId"] = sandbox.App.ClientId,
                    ["Bitrix24__ClientSecret"] = sandbox.App.ClientSecret,
                    // The address the portals know: the load balancer's.
                    ["Bitrix24__PublicBaseUrl"] = proxy.Uri.AbsoluteUri.TrimEnd('/'),
                    ["Bitrix24__OAuthServer"] = tap.Uri.AbsoluteUri,
                    ["Bitrix24__SandboxOrigins__0"] = sandbox.Portals[0].BaseUri.GetLeftPart(UriPartial.Authority),
                    ["Bitrix24__SandboxOrigins__1"] = sandbox.Portals[1].BaseUri.GetLeftPart(UriPartial.Authority),
                    ["Storage__Provider"] = nameof(StorageProvider.PostgreSql),
                    ["ConnectionStrings__LineBridge"] = database.ConnectionString,
                    ["Storage__DataDirectory"] = folders[i],
                    // A killed instance's claimed work passes to the others after this long (default 2 minutes).
                    ["Storage__OutboxLease"] = "00:00:10",
                    ["Api__RateLimit__RequestsPerSecond"] = "1000000",
                    ["Api__RateLimit__Burst"] = "1000000",
                    ["Messages__RetryDelay"] = "00:00:00.200",
                    ["Messages__MaxRetryDelay"] = "00:00:02",
                    ["Messages__PollInterval"] = "00:00:01",
                    ["Replies__InitialBackoff"] = "00:00:00.200",
                    ["Replies__MaxBackoff"] = "00:00:02",
                    ["Replies__PollInterval"] = "00:00:00.500",
                    ["Events__PollInterval"] = "00:00:00.200",
                    // Confirmations compete with nothing else here; the default (12 a minute) would pace the run.
                    ["Events__ConfirmationsPerMinute"] = "600",
                    // The webhook receiver listens on loopback; production allows public destinations only.
                    ["Outbound__Allow__0"] = "Loopback",
                    ["Logging__LogLevel__Default"] = "Warning",
                }));
            }
            var app = instances[0];
            sandbox.ConfigureApp(handlerUrl: new Uri(proxy.Uri, "placement").AbsoluteUri, installUrl: new Uri(proxy.Uri, "install").AbsoluteUri);
            foreach (var instance in instances) instance.Start();
            await Task.WhenAll(instances.Select(instance => instance.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), Ct)));

            // Install on both portals, connect lines 1 and 2 on each (imconnector.activate, as the open-lines service
            // does), and record the connections and API keys in the shared database, as the UI would on any instance.
            var lines = new List<SoakLine>();
            using (var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(100) })
            using (var shared = new PostgreSqlDatabase(database.ConnectionString))
            await using (var keyRing = SharedKeyRing(shared))
            {
                var connections = new LineConnections(new PostgreSqlLineConnectionRecords(shared), TimeProvider.System);
                var apiKeys = new ApiKeys(new PostgreSqlApiKeyRecords(shared), TimeProvider.System);
                var webhooks = new LineWebhookStore(new PostgreSqlLineWebhookRecords(shared), keyRing.GetRequiredService<IDataProtectionProvider>());
                for (var p = 0; p < sandbox.Portals.Count; p++)
                {
                    var portal = sandbox.Portals[p];
                    var connected = await SoakPortals.InstallAndConnectAsync(browser, portal, lines: 2, Ct);
                    var key = await apiKeys.RotateAsync(portal.MemberId, Ct);
                    foreach (var line in connected)
                    {
                        connections.MarkConnected(portal.MemberId, line);
                        webhooks.SetUrl(portal.MemberId, line, webhook.Url.AbsoluteUri, DateTime.UtcNow);
                        lines.Add(new SoakLine(p, portal, line, key));
                    }
                }
            }
            Assert.Equal(4, lines.Count);

            sandbox.Faults.Set(new FaultSettings
            {
                ErrorRate = 0.04, UnavailableRate = 0.04, UnavailableErrorCode = "QUERY_LIMIT_EXCEEDED",
                DropRate = 0.03, LostResponseRate = 0.03, Latency = TimeSpan.FromMilliseconds(30), Seed = seed,
            });

            var ledger = new Ledger();
            var done = 0;
            var stats = new ClientStats();
            using var workloadOver = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var killAt = Enumerable.Range(0, kills).Select(_ => (At: (int)(operations * (0.1 + 0.8 * dice.NextDouble())), Instance: dice.Next(instances.Count)))
                .OrderBy(k => k.At).ToList();
            var workerSeeds = Enumerable.Range(0, Workers).Select(_ => dice.Next()).ToList();
            var chaosSeed = dice.Next();
            var killed = new List<string>();
            var killTimes = new System.Collections.Concurrent.ConcurrentQueue<DateTime>();
            var expiries = new List<DateTime>();

            var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => RunWorkerAsync(
                w, lines[w % lines.Count], operations / Workers + (w < operations % Workers ? 1 : 0), new Random(workerSeeds[w]),
                proxy.Uri, ledger, stats, () => Interlocked.Increment(ref done)), Ct)).ToList();

            // Operators answer in the customers' chats meanwhile: each reply is an event the portal posts once, to
            // whichever instance the balancer picks, and goes on to the line's webhook from whichever instance holds it.
            var replies = new List<(SandboxPortal Portal, string Token)>();
            var operatorsDone = Task.Run(async () =>
            {
                var random = new Random(chaosSeed + 1);
                while (!workloadOver.IsCancellationRequested)
                {
                    var portal = sandbox.Portals[random.Next(sandbox.Portals.Count)];
                    var dialogs = portal.Dialogs.Where(d => d.Connector == Connector && d.Messages.Count > 0).ToList();
                    if (dialogs.Count > 0)
                    {
                        var dialog = dialogs[random.Next(dialogs.Count)];
                        var token = $"op-reply-{replies.Count}-end";
                        await portal.OperatorReplyAsync(dialog.Line, dialog.ExternalChatId, $"Reply {token}");
                        lock (replies) replies.Add((portal, token));
                    }
                    try { await Task.Delay(300 + random.Next(300), workloadOver.Token); } catch (OperationCanceledException) { }
                }
            }, Ct);

            var chaos = Task.Run(async () =>
            {
                var random = new Random(chaosSeed);
                var nextExpiry = DateTime.UtcNow + TimeSpan.FromSeconds(1 + 2 * random.NextDouble());
                bool KillDue() => killAt.Count > 0 && Volatile.Read(ref done) >= killAt[0].At;
                // The next expiry only once each portal's refresh for the last one was seen (or a while passed):
                // each expiry's refreshes are then counted apart.
                bool ExpiryDue()
                {
                    var last = expiries.Count == 0 ? DateTime.MinValue : expiries[^1];
                    var refreshed = tap.Refreshes.Where(r => r.Granted && r.At >= last).Select(r => r.MemberId).Distinct().Count();
                    return DateTime.UtcNow >= nextExpiry && (refreshed == sandbox.Portals.Count || DateTime.UtcNow - last > TimeSpan.FromSeconds(15));
                }
                while (true)
                {
                    await SandboxedApp.WaitUntilAsync(() => workloadOver.IsCancellationRequested || KillDue() || ExpiryDue(),
                        "a kill or a token expiry is due, or the workload is over");
                    if (workloadOver.IsCancellationRequested) break;
                    if (KillDue())
                    {
                        var victim = killAt[0].Instance;
                        killAt.RemoveAt(0);
                        // The kill lands amid the next operation or two, not always at the counter's edge.
                        var landAt = Volatile.Read(ref done) + random.Next(0, 3);
                        await SandboxedApp.WaitUntilAsync(() => workloadOver.IsCancellationRequested || Volatile.Read(ref done) >= landAt,
                            "the operation the kill lands amid has started");
                        killTimes.Enqueue(DateTime.UtcNow);
                        instances[victim].Kill();
                        instances[victim].Start();
                        killed.Add($"#{victim} at {Volatile.Read(ref done)}");
                    }
                    if (ExpiryDue())
                    {
                        expiries.Add(DateTime.UtcNow);
                        sandbox.Faults.ExpireAccessTokens();
                        stats.TokenExpiries++;
                        nextExpiry = DateTime.UtcNow + TimeSpan.FromSeconds(2 + 2 * random.NextDouble());
                    }
                }
            }, Ct);

            var clientTime = System.Diagnostics.Stopwatch.StartNew();
            await Task.WhenAll(workers);
            clientTime.Stop();
            // One more hard kill while the outbox is still busy, with faults on: the others (and the restart) take over.
            var lastVictim = dice.Next(instances.Count);
            killTimes.Enqueue(DateTime.UtcNow);
            instances[lastVictim].Kill();
            instances[lastVictim].Start();
            killed.Add($"#{lastVictim} after the workload");
            workloadOver.Cancel();
            await chaos;
            await operatorsDone;
            var burstOver = DateTime.UtcNow;
            sandbox.Faults.Clear();
            await Task.WhenAll(instances.Select(instance => instance.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), Ct)));
            // The last expiry's refreshes may come after the workload: each portal that met it refreshes (or, its token
            // lost to a kill, waits for an administrator) before the refreshes are counted.
            var lastExpiry = expiries.Count > 0 ? expiries[^1] : burstOver;
            await SandboxedApp.WaitUntilAsync(() => sandbox.Portals.All(p =>
                    !p.Calls.Any(c => c.Error == "expired_token" && c.Time.UtcDateTime >= lastExpiry)
                    || tap.Refreshes.Any(r => r.Granted && r.MemberId == p.MemberId && r.At >= lastExpiry)
                    || PortalStatusOf(database.ConnectionString, p.MemberId) == nameof(PortalStatus.NeedsReauthorization)),
                "each portal that met the last expiry has refreshed");
            var countedUntil = DateTime.UtcNow;

            // A kill inside a token refresh leaves a spent single-use refresh token: the portal then waits for an
            // administrator to open the app (fresh tokens). Do that for a portal that asks for it, as the app says.
            var reopened = 0;
            using (var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(100) })
            {
                foreach (var portal in sandbox.Portals.Where(p => PortalStatusOf(database.ConnectionString, p.MemberId) == nameof(PortalStatus.NeedsReauthorization)))
                {
                    reopened++;
                    await SandboxedApp.WaitUntilAsync(async () =>
                    {
                        var frame = portal.BuildFramePost(userId: 1);
                        using var opened = await browser.PostAsync(frame.Url, frame.ToContent(), Ct);
                        return opened.StatusCode == HttpStatusCode.SeeOther;
                    }, $"an administrator opens the app on {portal.Host}");
                }
            }

            var drainTime = System.Diagnostics.Stopwatch.StartNew();
            var views = await DrainAsync(app, ledger, TimeSpan.FromMinutes(5));
            // Every reply whose event the app answered 200 (the portal never posts an event twice) reaches the webhook.
            var answered = replies.Where(r => r.Portal.EventDeliveries.Any(d => d.Event == "ONIMCONNECTORMESSAGEADD" && d.Status == 200 && d.Data.Contains(r.Token, StringComparison.Ordinal))).ToList();
            string Text(ReceivedWebhook w) => w.Json.GetProperty("message").GetProperty("text").GetString() ?? "";
            await SandboxedApp.WaitUntilAsync(() => answered.All(r => webhook.Received.Any(w => Text(w).Contains(r.Token, StringComparison.Ordinal))),
                "every operator reply the app took reaches the webhook", TimeSpan.FromMinutes(3),
                () => string.Join(", ", answered.Where(r => !webhook.Received.Any(w => Text(w).Contains(r.Token, StringComparison.Ordinal))).Select(r => r.Token)));
            drainTime.Stop();
            var repliesByToken = answered.ToDictionary(r => r.Token, r => webhook.Received.Where(w => Text(w).Contains(r.Token, StringComparison.Ordinal)).ToList());
            var replyDuplicates = repliesByToken.Sum(r => r.Value.Count - 1);
            var replyProblems = repliesByToken.Where(r => r.Value.Select(w => w.Delivery).Distinct().Count() != 1)
                .Select(r => $"{r.Key}: {r.Value.Count} webhook calls with {r.Value.Select(w => w.Delivery).Distinct().Count()} different delivery ids").ToList();

            var problems = new List<string>();
            foreach (var message in ledger.Messages)
            {
                var history = views[message.Key]["history"]!.AsArray().Select(v => (string?)v!["newText"]).ToList();
                if (!history.SequenceEqual(message.Texts))
                {
                    problems.Add($"{message.Key}: log history [{string.Join(" | ", history)}] differs from the accepted texts [{string.Join(" | ", message.Texts)}]");
                }
                var copies = message.Line.Portal.Dialogs.Where(d => d.Connector == Connector)
                    .SelectMany(d => d.Messages.Where(m => m.ConnectorMid.Contains(message.Id)).Select(m => (Dialog: d, Message: m))).ToList();
                if (copies.Count != 1)
                {
                    problems.Add($"{message.Key}: {copies.Count} copies in the portal ({string.Join(", ", copies.Select(c => $"'{c.Message.Text}'"))}), expected 1");
                    continue;
                }
                var (dialog, copy) = copies[0];
                if (dialog.Line != message.Line.Line || dialog.ExternalChatId != message.Chat) problems.Add($"{message.Key}: found in line {dialog.Line} chat '{dialog.ExternalChatId}'");
                if (copy.Text != message.Texts[^1]) problems.Add($"{message.Key}: portal text '{copy.Text}', last accepted '{message.Texts[^1]}'");
                if (copy.Edited != message.Texts.Count > 1) problems.Add($"{message.Key}: portal edited flag {copy.Edited} after {message.Texts.Count - 1} edits");
            }
            var known = ledger.Messages.Select(m => m.Id).ToHashSet();
            foreach (var portal in sandbox.Portals)
            {
                foreach (var stray in portal.Dialogs.Where(d => d.Connector == Connector).SelectMany(d => d.Messages).Where(m => !m.FromOperator && !m.ConnectorMid.Any(known.Contains)))
                {
                    problems.Add($"{portal.Host}: message {stray.Id} '{stray.Text}' was never accepted");
                }
            }

            // The portals' own limit: a QUERY_LIMIT_EXCEEDED the sandbox did not inject is the portal's bucket overflowing.
            var calls = sandbox.Portals.SelectMany(p => p.Calls.Select(c => (Portal: p, Call: c))).ToList();
            var overLimit = calls.Where(c => c.Call.Fault is null && c.Call.Error == "QUERY_LIMIT_EXCEEDED").ToList();
            var overLimitAfterBurst = overLimit.Count(c => c.Call.Time.UtcDateTime > burstOver);

            // Each expiry: at most one granted refresh per portal, and exactly one for a portal that met the expired token.
            var windows = expiries.Select((start, i) => (Start: start, End: i + 1 < expiries.Count ? expiries[i + 1] : countedUntil)).ToList();
            var refreshes = tap.Refreshes.ToList();
            var refreshProblems = new List<string>();
            foreach (var (start, end) in windows)
            {
                foreach (var portal in sandbox.Portals)
                {
                    var granted = refreshes.Count(r => r.Granted && r.MemberId == portal.MemberId && r.At >= start && r.At < end);
                    var metExpired = calls.Any(c => c.Portal == portal && c.Call.Error == "expired_token" && c.Call.Time.UtcDateTime >= start && c.Call.Time.UtcDateTime < end);
                    if (granted > 1 || (metExpired && granted == 0 && !LostToAKill(refreshes, start, end)))
                    {
                        refreshProblems.Add($"{portal.Host}, expiry at {start:HH:mm:ss.fff}: {granted} refreshes (met the expired token: {metExpired})");
                    }
                }
            }
            var refused = refreshes.Count(r => !r.Granted && r.At < countedUntil);
            // A refused refresh means a refresh token spent twice: only a kill inside a refresh may do that (the portal
            // then needs an administrator), so each must follow a kill closely; instances racing each other must not.
            var refusedWithoutKill = refreshes.Count(r => !r.Granted && !killTimes.Any(k => k <= r.At && r.At - k < TimeSpan.FromSeconds(15)));

            var summary = new StringBuilder()
                .AppendLine($"multi-instance soak seed {seed}: 3 instances on one PostgreSQL database, {operations} operations by {Workers} clients on {lines.Count} lines of 2 portals in {clientTime.Elapsed.TotalSeconds:F0} s, drained in {drainTime.Elapsed.TotalSeconds:F0} s, {started.Elapsed.TotalSeconds:F0} s in all")
                .AppendLine($"accepted: {ledger.Messages.Count} messages, {ledger.Messages.Sum(m => m.Texts.Count - 1)} edits; client retries after no answer: {stats.SendRetries} sends, {stats.EditRetries} edits; edits found applied on retry: {stats.EditsAppliedBeforeRetry}; duplicate answers: {stats.DuplicateAnswers}")
                .AppendLine($"instances: {instances.Sum(i => i.Starts)} starts, {instances.Sum(i => i.Kills)} hard kills ({string.Join(", ", killed)}); portals re-opened by an admin after a refresh lost to a kill: {reopened}")
                .AppendLine($"operator replies: {replies.Count}, their events answered 200: {answered.Count}, all at the webhook; repeated webhook calls (same delivery id): {replyDuplicates}")
                .AppendLine($"token expiries: {expiries.Count}; refreshes granted: {refreshes.Count(r => r.Granted && r.At >= (expiries.Count > 0 ? expiries[0] : burstOver) && r.At < countedUntil)}, refused: {refused}; expiry windows with more or fewer than one refresh: {refreshProblems.Count}")
                .AppendLine($"portal REST calls: {calls.Count}; QUERY_LIMIT_EXCEEDED from the portals' own buckets: {overLimit.Count} ({overLimitAfterBurst} after the burst); faults met: " + string.Join(", ", calls
                    .Select(c => c.Call.Fault is null ? c.Call.Error : $"injected {c.Call.Fault}" + (c.Call.Error is null ? "" : $" {c.Call.Error}")).Where(f => f is not null).GroupBy(f => f!).OrderBy(g => g.Key)
                    .Select(g => $"{g.Key} {g.Count()}")))
                .ToString();
            output?.WriteLine(summary);

            Assert.True(problems.Count == 0, $"{problems.Count} mismatches between the portals and the log:\n{string.Join('\n', problems.Take(40))}\n\n{summary}");
            Assert.True(replyProblems.Count == 0, $"{string.Join('\n', replyProblems)}\n\n{summary}");
            Assert.True(answered.Count > 0, summary);
            Assert.True(overLimitAfterBurst == 0, $"the portals' buckets overflowed after the burst:\n{summary}");
            Assert.True(refreshProblems.Count == 0, $"{string.Join('\n', refreshProblems)}\n\n{summary}");
            Assert.True(refusedWithoutKill == 0, $"{refusedWithoutKill} refreshes were refused without a kill just before:\n{summary}");
            Assert.True(expiries.Count >= 2, summary);
            Assert.True(instances.Sum(i => i.Kills) >= kills + 1, summary);
            Assert.Contains(calls, c => c.Call.Error == "expired_token");
            // The bounded run makes about 200 calls: which kinds of fault fall among them is chance, that some do is not.
            Assert.Contains(calls, c => c.Call.Fault is not null);
        }
        finally
        {
            foreach (var instance in instances) await instance.DisposeAsync();
            foreach (var folder in folders)
            {
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>A Data Protection key ring as the instances have it (the shared table), to store webhook secrets they can read.</summary>
    private static ServiceProvider SharedKeyRing(PostgreSqlDatabase shared)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection().SetApplicationName("LineBridge");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new PostgreSqlXmlRepository(shared));
        return services.BuildServiceProvider();
    }

    /// <summary>A refresh refused in the window: a kill inside the refresh spent the token, the portal waits for an administrator.</summary>
    private static bool LostToAKill(IReadOnlyList<RefreshSeen> refreshes, DateTime start, DateTime end) =>
        refreshes.Any(r => !r.Granted && r.At >= start && r.At < end);

    /// <summary>The portal's status in the shared database (<c>portals.status</c>), or null when it has no record.</summary>
    private static string? PortalStatusOf(string connectionString, string memberId)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT status FROM portals WHERE member_id = @m", connection);
        command.Parameters.AddWithValue("m", memberId);
        return command.ExecuteScalar() as string;
    }
}
