using System.Net;
using LineBridge.Bitrix24.Models;
using LineBridge.Infrastructure;

namespace LineBridge.Bitrix24;

public class Bitrix24ClientTests
{
    public class TheErrorMapping
    {
        [Theory]
        [InlineData("expired-token", HttpStatusCode.Unauthorized, "expired_token")]
        [InlineData("no-auth-found", HttpStatusCode.Unauthorized, "NO_AUTH_FOUND")]
        [InlineData("method-not-found", HttpStatusCode.NotFound, "ERROR_METHOD_NOT_FOUND")]
        [InlineData("not-active-line", HttpStatusCode.BadRequest, "NOT_ACTIVE_LINE")]
        public async Task Call_ThrowsBitrix24ExceptionWithCodeAndStatus_WhenPortalReturnsError(string fixture, HttpStatusCode status, string code)
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture(fixture, status));

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => h.UserClient().App.InfoAsync(TestContext.Current.CancellationToken));

            Assert.Equal(code, ex.ErrorCode);
            Assert.Equal(status, ex.StatusCode);
            Assert.Equal("app.info", ex.Method);
            Assert.NotEmpty(ex.ErrorDescription);
        }

        [Fact]
        public async Task Call_ThrowsUnexpectedAnswer_WhenBodyIsNotJson()
        {
            await using var h = new ClientHarness(_ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>bad gateway</html>") });

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => h.UserClient().Events.BindAsync("OnAppUninstall", "https://a.b/e", TestContext.Current.CancellationToken));

            Assert.Equal(Bitrix24Errors.UnexpectedAnswer, ex.ErrorCode);
            Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        }

        [Fact]
        public async Task Call_ThrowsNetworkError_WhenPortalCannotBeReached()
        {
            await using var h = new ClientHarness(_ => throw new HttpRequestException("connection refused"));

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() =>
                h.UserClient().Connectors.SendMessagesAsync(new ConnectorMessagesRequest("linebridge", 1, []), TestContext.Current.CancellationToken));

            Assert.Equal(Bitrix24Errors.NetworkError, ex.ErrorCode);
            Assert.Equal((HttpStatusCode)0, ex.StatusCode);
            Assert.Single(h.Portal.Requests);
        }

        [Fact]
        public async Task ReadCall_IsRetried_WhenPortalCannotBeReachedOnce()
        {
            var calls = 0;
            await using var h = new ClientHarness(_ => Interlocked.Increment(ref calls) == 1
                ? throw new HttpRequestException("connection reset")
                : RecordingHandler.Fixture("app-info"));

            var info = await h.UserClient().App.InfoAsync(TestContext.Current.CancellationToken);

            Assert.Equal("local.test.1", info.Code);
            Assert.Equal(2, h.Portal.Requests.Count);
        }
    }

    public class TheLimitBackOff
    {
        [Fact]
        public async Task Call_IsRetriedAfterOperationTimeLimit_AndSucceeds()
        {
            var calls = 0;
            await using var h = new ClientHarness(_ => Interlocked.Increment(ref calls) == 1
                ? RecordingHandler.Fixture("operation-time-limit", (HttpStatusCode)429)
                : RecordingHandler.Fixture("app-info"));

            var info = await h.UserClient().App.InfoAsync(TestContext.Current.CancellationToken);

            Assert.True(info.Installed);
            Assert.Equal(2, h.Portal.Requests.Count);
        }

        [Fact]
        public async Task Call_WaitsUntilOperatingResetAt_WhenTheRefusalNamesIt()
        {
            var resetAt = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds();
            var calls = 0;
            await using var h = new ClientHarness(_ => Interlocked.Increment(ref calls) == 1
                ? RecordingHandler.Json($$$"""{"error":"OPERATION_TIME_LIMIT","error_description":"blocked","time":{"operating_reset_at":{{{resetAt}}}}}""", (HttpStatusCode)429)
                : RecordingHandler.Fixture("app-info"));

            await h.UserClient().App.InfoAsync(TestContext.Current.CancellationToken);

            Assert.Equal(2, h.Portal.Requests.Count);
            Assert.True(DateTimeOffset.UtcNow.ToUnixTimeSeconds() >= resetAt, "the retry went out before operating_reset_at");
        }

        [Fact]
        public async Task Call_GivesUpWithQueryLimitExceeded_AfterMaxRetries()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("query-limit-exceeded", HttpStatusCode.ServiceUnavailable),
                client: o => o.MaxLimitRetries = 3);

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => h.UserClient().App.InfoAsync(TestContext.Current.CancellationToken));

            Assert.Equal(Bitrix24Errors.QueryLimitExceeded, ex.ErrorCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
            Assert.Equal(4, h.Portal.Requests.Count);
        }
    }

    public class TheReadMethods
    {
        [Fact]
        public async Task AppInfo_ReadsCodeAndInstalledFlag()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("app-info"));

            var info = await h.UserClient().App.InfoAsync(TestContext.Current.CancellationToken);

            Assert.Equal("local.test.1", info.Code);
            Assert.Equal(1, info.Version);
            Assert.True(info.Installed);
            Assert.Equal("L", info.Status);
            Assert.Equal("app.info", Assert.Single(h.Portal.Requests).RestMethod);
        }

        [Fact]
        public async Task UserCurrent_ReadsStringId()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("user-current"));

            var user = await h.UserClient().Users.CurrentAsync(TestContext.Current.CancellationToken);

            Assert.Equal(1, user.Id);
            Assert.Equal("Anna Admin", user.DisplayName);
        }

        [Fact]
        public async Task UserAdminAndProfile_ReadAdminFlag()
        {
            await using var h = new ClientHarness(r => r.RestMethod == "user.admin" ? RecordingHandler.Json("""{"result":true}""") : RecordingHandler.Fixture("profile"));
            var client = h.UserClient();

            Assert.True(await client.Users.IsAdminAsync(TestContext.Current.CancellationToken));
            Assert.True((await client.Users.ProfileAsync(TestContext.Current.CancellationToken)).IsAdmin);
        }

        [Fact]
        public async Task Batch_PostsCommandsAsQueryStrings_AndSplitsResultsAndErrors()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("batch"));

            var result = await h.UserClient().BatchAsync(new Dictionary<string, BatchCommand>
            {
                ["info"] = new("app.info"),
                ["admin"] = new("user.admin"),
                ["bad"] = new("no.such", new Dictionary<string, string> { ["FILTER[NAME]"] = "a b" }),
            }, halt: false, TestContext.Current.CancellationToken);

            Assert.Equal("local.test.1", result.Results["info"].GetProperty("CODE").GetString());
            Assert.True(result.Results["admin"].GetBoolean());
            Assert.Equal("ERROR_METHOD_NOT_FOUND", result.Errors["bad"].Code);
            var body = System.Text.Json.JsonDocument.Parse(Assert.Single(h.Portal.Requests).Body).RootElement;
            Assert.Equal("no.such?FILTER%5BNAME%5D=a%20b", body.GetProperty("cmd").GetProperty("bad").GetString());
            Assert.Equal(0, body.GetProperty("halt").GetInt32());
        }
    }
}
