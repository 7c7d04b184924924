using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox.Rest;

public class RestEngineTests
{
    private static StringContent Form(string body) => new(body, Encoding.UTF8, "application/x-www-form-urlencoded");

    [Fact]
    public async Task Call_AnswersResultAndTimeEnvelope_WithOperatingFields_AndCors()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var response = await sandbox.Http.PostAsync(new Uri(sandbox.Portal.RestUri, "user.admin"), Form("auth=" + sandbox.Token()), SandboxTestHost.Ct);
        var body = await SandboxTestHost.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.True(body["result"]!.GetValue<bool>());
        var time = body["time"]!.AsObject();
        foreach (var field in new[] { "start", "finish", "duration", "processing", "date_start", "date_finish", "operating_reset_at", "operating" })
        {
            Assert.True(time.ContainsKey(field), field);
        }
    }

    public static TheoryData<string, Func<string, HttpRequestMessage>> AuthAndEncodings => new()
    {
        { "json body auth", t => new(HttpMethod.Post, "user.current") { Content = new StringContent($$"""{"auth":"{{t}}"}""", Encoding.UTF8, "application/json") } },
        { "form body auth", t => new(HttpMethod.Post, "user.current") { Content = Form("auth=" + t) } },
        { "query auth", t => new(HttpMethod.Get, "user.current?auth=" + t) },
        { "access_token param", t => new(HttpMethod.Get, "user.current?access_token=" + t) },
        { "bearer header", t => new(HttpMethod.Post, "user.current") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", t) } } },
        { ".json suffix", t => new(HttpMethod.Get, "user.current.json?auth=" + t) },
        { "upper-case method", t => new(HttpMethod.Get, "USER.Current?auth=" + t) },
        { "upper-case AUTH key", t => new(HttpMethod.Post, "user.current") { Content = Form("AUTH=" + t) } },
    };

    [Theory]
    [MemberData(nameof(AuthAndEncodings))]
    public async Task Call_AcceptsEveryAuthPlaceAndEncoding(string name, Func<string, HttpRequestMessage> build)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var request = build(sandbox.Token(userId: 2));
        request.RequestUri = new Uri(sandbox.Portal.RestUri, request.RequestUri!.ToString());

        var response = await sandbox.Http.SendAsync(request, SandboxTestHost.Ct);
        var body = await SandboxTestHost.ReadAsync(response);

        Assert.True(response.StatusCode == HttpStatusCode.OK, name + ": " + body.ToJsonString());
        Assert.Equal("2", body["result"]!["ID"]!.GetValue<string>());
    }

    [Fact]
    public async Task Call_ParsesPhpStyleBracketKeys_LikeJson_AndStripsAuthFromRecordedParameters()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();
        var connector = await sandbox.ConnectAsync();
        var form = $"auth={sandbox.Token()}&CONNECTOR={connector}&LINE=1&MESSAGES[0][user][id]=u1&MESSAGES[0][message][id]=m1"
            + "&MESSAGES[0][message][text]=hello&MESSAGES[0][chat][id]=c1&MESSAGES[1][user][id]=u1&MESSAGES[1][message][id]=m2"
            + "&MESSAGES[1][message][text]=again&MESSAGES[1][chat][id]=c1";

        var (status, body) = await sandbox.PostFormAsync(new Uri(sandbox.Portal.RestUri, "imconnector.send.messages"), form);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body["result"]!["DATA"]!["RESULT"]!.AsArray().Count);
        Assert.Equal(["hello", "again"], sandbox.Portal.Dialogs.Single().Messages.Select(m => m.Text));
        var recorded = sandbox.Portal.Calls.Last();
        Assert.Equal("imconnector.send.messages", recorded.Method);
        Assert.DoesNotContain("auth", recorded.Parameters, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"MESSAGES\":[", recorded.Parameters);
    }

    [Theory]
    [InlineData("", 401, "NO_AUTH_FOUND")]
    [InlineData("auth=not-a-token", 401, "NO_AUTH_FOUND")]
    public async Task Call_WithoutValidAuth_AnswersNoAuthFound(string form, int status, string error)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (actualStatus, body) = await sandbox.PostFormAsync(new Uri(sandbox.Portal.RestUri, "user.current"), form);

        Assert.Equal(status, (int)actualStatus);
        Assert.Equal(error, body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Call_OfAnUnknownMethod_AnswersMethodNotFound404()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (status, body) = await sandbox.CallAsync("no.such.method");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("ERROR_METHOD_NOT_FOUND", body["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("imconnector.register", 403, "WRONG_AUTH_TYPE")]
    [InlineData("imconnector.send.messages", 403, "WRONG_AUTH_TYPE")]
    [InlineData("event.bind", 403, "WRONG_AUTH_TYPE")]
    [InlineData("app.info", 403, "ACCESS_DENIED")]
    public async Task WebhookCall_WithoutAppContext_IsRefused(string method, int status, string error)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (actualStatus, body) = await sandbox.GetAsync(new Uri(sandbox.Portal.WebhookUri, method));

        Assert.Equal(status, (int)actualStatus);
        Assert.Equal(error, body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task WebhookCall_ServesMethodsWithoutAppContext_AndRefusesAWrongCode()
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var (okStatus, ok) = await sandbox.GetAsync(new Uri(sandbox.Portal.WebhookUri, "imopenlines.config.list.get"));
        var (badStatus, bad) = await sandbox.GetAsync(new Uri(sandbox.Portal.RestUri, "1/wrongcode/user.current"));

        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.True(ok["result"]!.AsArray().Count >= 3);
        Assert.Equal(HttpStatusCode.Forbidden, badStatus);
        Assert.Equal("INVALID_CREDENTIALS", bad["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Call_WithoutTheMethodsScope_AnswersInsufficientScope()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Scopes = "placement");

        var (status, body) = await sandbox.CallAsync("imopenlines.config.list.get");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("insufficient_scope", body["error"]!.GetValue<string>());
    }

    public static TheoryData<string, Func<HttpContent>> HostileBodies => new()
    {
        { "bad json", () => new StringContent("{\"auth\": ", Encoding.UTF8, "application/json") },
        { "json array", () => new StringContent("[1,2]", Encoding.UTF8, "application/json") },
        { "deep json", () => new StringContent(new string('[', 5000) + new string(']', 5000), Encoding.UTF8, "application/json") },
        { "deep form", () => Form("a" + string.Concat(Enumerable.Repeat("[x]", 200)) + "=1") },
        { "huge body", () => new StringContent(new string('a', RestEngine.MaxBodyBytes + 10), Encoding.UTF8, "application/x-www-form-urlencoded") },
        { "bad utf8", () => new ByteArrayContent([0x7b, 0xff, 0xfe, 0x7d]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } } },
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task Call_WithHostileInput_Answers400InBitrixShape(string name, Func<HttpContent> content)
    {
        await using var sandbox = await SandboxTestHost.StartAsync();

        var response = await sandbox.Http.PostAsync(new Uri(sandbox.Portal.RestUri, "user.current?auth=" + sandbox.Token()), content(), SandboxTestHost.Ct);
        var body = await SandboxTestHost.ReadAsync(response);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, name);
        Assert.Equal("INVALID_REQUEST", body["error"]!.GetValue<string>());
        Assert.True(body.ContainsKey("error_description"));
    }

    [Fact]
    public async Task Calls_BeyondTheBurst_AnswerQueryLimitExceeded503_AndTheBucketCountsABatchOnce()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o =>
        {
            o.Portals[0].Burst = 5;
            o.Portals[0].RequestsPerSecond = 0.0001;
        });
        var token = sandbox.Token();
        var commands = new JsonObject();
        for (var i = 0; i < 10; i++) commands[$"c{i}"] = "user.current";
        var (batchStatus, _) = await sandbox.CallAsync("batch", new JsonObject { ["cmd"] = commands }, token);
        Assert.Equal(HttpStatusCode.OK, batchStatus);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) statuses.Add((await sandbox.CallAsync("user.current", token: token)).Status);
        var (status, body) = await sandbox.CallAsync("user.current", token: token);

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 4), HttpStatusCode.ServiceUnavailable], statuses);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("QUERY_LIMIT_EXCEEDED", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Calls_OverTheOperatingBudget_AnswerOperationTimeLimit429_ForThatMethodOnly()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o =>
        {
            o.Portals[0].OperatingLimitSeconds = 10;
            o.Portals[0].SimulatedCostByMethod["user.current"] = 6;
        });
        var token = sandbox.Token();

        var (first, firstBody) = await sandbox.CallAsync("user.current", token: token);
        var (second, _) = await sandbox.CallAsync("user.current", token: token); // crosses the limit but still completes
        var (third, body) = await sandbox.CallAsync("user.current", token: token);
        var (other, _) = await sandbox.CallAsync("user.admin", token: token);

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.True(firstBody["time"]!["operating"]!.GetValue<double>() >= 6);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal((HttpStatusCode)429, third);
        Assert.Equal("OPERATION_TIME_LIMIT", body["error"]!.GetValue<string>());
        Assert.True(body["time"]!["operating"]!.GetValue<double>() > 10);
        Assert.True(body["time"]!["operating_reset_at"]!.GetValue<long>() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(HttpStatusCode.OK, other);
    }
}

public class ExecutionCostModelTests
{
    [Fact]
    public async Task MessageMethods_ChargeTheirBudgetPerElement_ReportItAsProcessing_AndAreRefusedOnceItIsSpent()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o =>
        {
            o.Portals[0].OperatingLimitSeconds = 5;
            o.Portals[0].CostPerMessageSeconds = 0.5;
            o.Portals[0].CostPerMessageCallSeconds = 0.25;
        });
        await sandbox.ConnectAsync();

        var (one, oneBody) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m1", "one")));
        var (four, fourBody) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1,
            ("u1", "c1", "m2", "a"), ("u1", "c1", "m3", "b"), ("u1", "c1", "m4", "c"), ("u1", "c1", "m5", "d")));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (one, four));
        // 0.25 + 1 × 0.5, then 0.25 + 4 × 0.5: a bigger MESSAGES costs more, and the server reports what it charged.
        Assert.InRange(oneBody["time"]!["processing"]!.GetValue<double>(), 0.75, 1.5);
        Assert.InRange(fourBody["time"]!["processing"]!.GetValue<double>(), 2.25, 3);
        Assert.InRange(fourBody["time"]!["operating"]!.GetValue<double>(), 3, 4);
        // Another 4 elements cross the limit (the crossing call completes); the next call is refused.
        var (crossing, _) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1,
            ("u1", "c1", "m6", "a"), ("u1", "c1", "m7", "b"), ("u1", "c1", "m8", "c"), ("u1", "c1", "m9", "d")));
        var (refused, body) = await sandbox.CallAsync("imconnector.send.messages", SandboxTestHost.Messages("lb_test", 1, ("u1", "c1", "m10", "e")));
        Assert.Equal(HttpStatusCode.OK, crossing);
        Assert.Equal((HttpStatusCode)429, refused);
        Assert.Equal("OPERATION_TIME_LIMIT", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task APortalWithoutTheLimit_ReportsNoOperatingTime()
    {
        await using var sandbox = await SandboxTestHost.StartAsync(o => o.Portals[0].OperatingLimitSeconds = 0);
        var (_, body) = await sandbox.CallAsync("user.current", token: sandbox.Token());
        Assert.False(body["time"]!.AsObject().ContainsKey("operating"));
        Assert.True(body["time"]!.AsObject().ContainsKey("processing"));
    }
}
