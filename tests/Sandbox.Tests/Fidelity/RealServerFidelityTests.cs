using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.Fidelity;

/// <summary>
/// Places where the sandbox was more lenient than (or different from) the real server, each pinned to the source it
/// now follows (issue 10; the vendor SDK <c>@bitrix24/b24jssdk</c> met each of them). The browser side (items 1 and 2)
/// is in <see cref="Pages.AppLayoutScriptTests"/>.
/// </summary>
public class RealServerFidelityTests
{
    // Item 3. Source: [D:api-reference/imopenlines/openlines/imopenlines-config-list-get.md] — the method takes PARAMS
    // and OPTIONS; the SDK's list helpers (core/actions/v2/call-list.mjs) add a top-level start=-1, order and filter.
    [Fact]
    public async Task ConfigListGet_IgnoresTopLevelStartOrderAndFilter_AsTheSdkListHelpersSendThem()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, body) = await sandbox.CallAsync("imopenlines.config.list.get", new JsonObject
        {
            ["start"] = -1,
            ["order"] = new JsonObject { ["ID"] = "ASC" },
            ["filter"] = new JsonObject { [">ID"] = 0 },
        });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["1", "2", "3"], body["result"]!.AsArray().Select(l => l!["ID"]!.GetValue<string>()));
        Assert.Equal(3, body["total"]!.GetValue<int>());
    }

    // Item 4. Source: bitrix-core-business CRestUtil::ParseBatchQuery — parse_str (URL-decoding) first, then
    // processBatchStructure resolves $result[...] in keys and values. The SDK builds commands with qs.stringify, which
    // encodes "$result[me][ID]" as "%24result%5Bme%5D%5BID%5D".
    [Fact]
    public async Task Batch_ResolvesAUrlEncodedResultReference_AfterDecoding()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (_, body) = await sandbox.CallAsync("batch", new JsonObject
        {
            ["halt"] = 0,
            ["cmd"] = new JsonObject
            {
                ["first"] = "imopenlines.config.list.get?PARAMS%5Blimit%5D=1",
                ["byRef"] = "imopenlines.config.get?CONFIG_ID=%24result%5Bfirst%5D%5B0%5D%5BID%5D",
                ["inText"] = "imopenlines.config.get?CONFIG_ID=%24result%5Bfirst%5D%5B0%5D%5BID%5D&WITH_QUEUE=N",
            },
        });

        Assert.Equal("1", body["result"]!["result"]!["byRef"]!["ID"]!.GetValue<string>());
        Assert.Equal("1", body["result"]!["result"]!["inText"]!["ID"]!.GetValue<string>());
        Assert.Null(body["result"]!["result"]!["inText"]!["QUEUE"]);
    }

    // Item 5. B24Hook (hook/b24.mjs fromWebhookUrl) refuses anything but https:// webhook URLs, as cloud portals are
    // HTTPS-only; the sandbox offers an HTTPS listener with a certificate generated at start.
    [Fact]
    public async Task HttpsListener_ServesTheWebhook_WithTheGeneratedCertificate()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Portals[0].HttpsPort = 0);
        var certificate = sandbox.Host.Certificate!;
        using var https = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString() },
        });

        var response = await https.GetAsync(new Uri(sandbox.Portal.HttpsWebhookUri!, "user.current"), SandboxTestHost.Ct);
        var body = await SandboxTestHost.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", body["result"]!["ID"]!.GetValue<string>());
        Assert.Equal("https", sandbox.Portal.HttpsBaseUri!.Scheme);
        Assert.Contains(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses(), a => a.ToString() == sandbox.Portal.Host);
        var pem = await sandbox.Http.GetStringAsync(new Uri(sandbox.Portal.BaseUri, "/_sandbox/certificate"), SandboxTestHost.Ct);
        Assert.Equal(certificate.GetCertHashString(), X509Certificate2.CreateFromPem(pem).GetCertHashString());
    }

    // Item 6. Source: protocol reference §3.2 ([D:settings/oauth/index.md]): the token answer's domain is the OAuth
    // server's ("oauth.bitrix.info"), not the portal's; server_endpoint names the same server.
    [Fact]
    public async Task TokenAnswer_NamesTheOAuthServersOwnOrigin_DistinctFromEveryPortal()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(portals: 2);
        var refresh = sandbox.Portal.BuildFramePost(1).Form["REFRESH_ID"];
        var query = $"grant_type=refresh_token&client_id={Uri.EscapeDataString(sandbox.Host.App.ClientId)}&client_secret={Uri.EscapeDataString(sandbox.Host.App.ClientSecret)}&refresh_token={refresh}";

        // Through the portal's own /oauth/token/ (its proxy), then at the OAuth server the answer names.
        var (status, body) = await sandbox.GetAsync(new Uri(sandbox.Portal.BaseUri, "/oauth/token/?" + query));

        Assert.Equal(HttpStatusCode.OK, status);
        var domain = body["domain"]!.GetValue<string>();
        Assert.DoesNotContain(domain, sandbox.Host.Portals.Select(p => p.Domain));
        Assert.Equal($"http://{domain}/rest/", body["server_endpoint"]!.GetValue<string>());
        Assert.Equal(sandbox.Portal.RestUri.ToString(), body["client_endpoint"]!.GetValue<string>());
        Assert.Equal(sandbox.Host.OAuthUri.Authority, domain);
        var again = query.Replace(refresh, body["refresh_token"]!.GetValue<string>(), StringComparison.Ordinal);
        var (atServer, fromServer) = await sandbox.GetAsync(new Uri($"http://{domain}/oauth/token/?{again}"));
        Assert.Equal(HttpStatusCode.OK, atServer);
        Assert.Equal(domain, fromServer["domain"]!.GetValue<string>());
        // An app that took domain for the portal address finds no portal there.
        var wrong = await sandbox.Http.PostAsync(new Uri($"http://{domain}/rest/user.current"), new FormUrlEncodedContent([new("auth", body["access_token"]!.GetValue<string>())]), SandboxTestHost.Ct);
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
    }

    // Item 7. Source: bitrix24-core-corp modules/imconnector/lib/rest/status.php (activate ⇒ Status::delete) and
    // modules/imconnector/lib/status.php@100acdb (Status::delete sends EVENT_STATUS_DELETE after its delete loop
    // whether or not a row existed, and returns false when none was deleted).
    [Fact]
    public async Task ActivateOff_OnALineWithoutAStatusRow_AnswersFalse_AndStillFiresStatusDelete()
    {
        await using var receiver = new EventReceiver();
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.CallAsync("event.bind", new { EVENT = "OnImConnectorStatusDelete", HANDLER = receiver.Url });
        await sandbox.ConnectAsync();

        var (status, body) = await sandbox.CallAsync("imconnector.activate", new { CONNECTOR = "lb_test", LINE = 2, ACTIVE = 0 });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body["result"]!.GetValue<bool>());
        await SandboxTestHost.WaitForAsync(() => receiver.Received.Count == 1, "the status delete event");
        Assert.Equal(("ONIMCONNECTORSTATUSDELETE", "lb_test", "2"), (receiver.Received.Single()["event"], receiver.Received.Single()["data[connector]"], receiver.Received.Single()["data[line]"]));
    }

    // Item 8. Source: protocol reference §9.1 step 7 ([C:modules/imconnector/lib/provider/base/input.php@100acdb]):
    // the portal downloads files and drops those it cannot fetch; with no text left either, the element fails.
    [Fact]
    public async Task Send_WithEmptyTextAndAnUnreachableFile_FailsThatElement()
    {
        await using var files = new EventReceiver();
        var reachable = files.Url.Replace("/events", "/photo.png", StringComparison.Ordinal);
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.ConnectAsync();

        var (status, body) = await sandbox.CallAsync("imconnector.send.messages", new JsonObject
        {
            ["CONNECTOR"] = "lb_test",
            ["LINE"] = 1,
            ["MESSAGES"] = new JsonArray(
                Message("m-1", "", "http://127.0.0.1:9/missing.png"),
                Message("m-2", "with text", "http://127.0.0.1:9/missing.png"),
                Message("m-3", "", reachable)),
        });

        Assert.Equal(HttpStatusCode.OK, status);
        var items = body["result"]!["DATA"]!["RESULT"]!.AsArray();
        Assert.False(items[0]!["SUCCESS"]!.GetValue<bool>());
        Assert.True(items[1]!["SUCCESS"]!.GetValue<bool>());
        Assert.Empty(items[1]!["message"]!["files"]!.AsArray());
        Assert.True(items[2]!["SUCCESS"]!.GetValue<bool>());
        Assert.Equal(reachable, items[2]!["message"]!["files"]![0]!["url"]!.GetValue<string>());
    }

    // Item 9. Source: protocol reference §9.2 (text cut with " (...)"); the server counts with PHP's mb_ functions, in
    // code points, so an emoji (a UTF-16 surrogate pair) is one character and is never split.
    [Fact]
    public async Task Send_CountsAndCutsTextInCodePoints_KeepingAnEmojiWhole()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        await sandbox.ConnectAsync();
        var exactly = new string('a', 19_999) + "\U0001F600";
        var over = exactly + "b";

        var (_, body) = await sandbox.CallAsync("imconnector.send.messages", new JsonObject
        {
            ["CONNECTOR"] = "lb_test",
            ["LINE"] = 1,
            ["MESSAGES"] = new JsonArray(Message("m-1", exactly, null), Message("m-2", over, null)),
        });

        var items = body["result"]!["DATA"]!["RESULT"]!.AsArray();
        Assert.Equal(exactly, items[0]!["message"]!["text"]!.GetValue<string>());
        Assert.Equal(exactly + " (...)", items[1]!["message"]!["text"]!.GetValue<string>());
    }

    // Item 10. ASP.NET Core hosts take their listeners from --urls or ASPNETCORE_URLS; so does the standalone sandbox.
    [Theory]
    [InlineData("argument")]
    [InlineData("environment")]
    public async Task StandaloneSandbox_ListensWhereUrlsSay(string how)
    {
        var port = FreePort();
        var url = $"http://127.0.0.6:{port}";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LineBridge.Sandbox.dll"));
        if (how == "argument")
        {
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(url);
        }
        else
        {
            start.Environment["ASPNETCORE_URLS"] = url;
        }
        using var process = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await SandboxTestHost.WaitForAsync(() => output.Any(l => l.Contains("Press Ctrl+C", StringComparison.Ordinal)) || process.HasExited, "the sandbox banner", seconds: 60);
            Assert.False(process.HasExited, string.Join('\n', output));
            Assert.Contains(output, l => l.Contains($"portal:        {url}/", StringComparison.Ordinal));
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
            var home = await http.GetAsync(url + "/", SandboxTestHost.Ct);
            Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(SandboxTestHost.Ct);
        }
    }

    [Fact]
    public void Urls_RefuseANonLoopbackHost_AndAttachHttpsToThePortalOnTheSameHost()
    {
        var portals = SandboxUrls.Parse("http://127.0.0.2:5090;http://localhost:5091;https://localhost:5443");
        Assert.Equal([("127.0.0.2", 5090, (int?)null), ("localhost", 5091, 5443)], portals.Select(p => (p.Host, p.Port, p.HttpsPort)));
        var error = Assert.Throws<ArgumentException>(() => SandboxUrls.Parse("http://0.0.0.0:5090"));
        Assert.Contains("loopback only", error.Message, StringComparison.Ordinal);
    }

    private static JsonObject Message(string id, string text, string? file)
    {
        var message = new JsonObject { ["id"] = id, ["text"] = text };
        if (file is not null) message["files"] = new JsonArray(new JsonObject { ["url"] = file, ["name"] = "f.png" });
        return new JsonObject
        {
            ["user"] = new JsonObject { ["id"] = "alice", ["name"] = "Alice" },
            ["chat"] = new JsonObject { ["id"] = "chat-1" },
            ["message"] = message,
        };
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
