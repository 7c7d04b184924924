using System.Net;
using System.Text.Json;
using LineBridge.Bitrix24.Models;
using LineBridge.Infrastructure;

namespace LineBridge.Bitrix24;

public class ConnectorClientTests
{
    private static ConnectorMessagesRequest TwoMessages() => new("linebridge", 12,
    [
        new ConnectorMessage(new ConnectorUser { Id = "u-1", Name = "Ivan" }, new ConnectorMessageBody { Id = "ext-msg-1001", Text = "Hello", Date = 1757424671 }, new ConnectorChat { Id = "channel-123" }),
        new ConnectorMessage(new ConnectorUser { Id = "u-1" }, new ConnectorMessageBody { Id = "ext-msg-1002" }, new ConnectorChat { Id = "channel-123" }),
    ]);

    private static JsonElement Body(RecordedRequest r) => JsonDocument.Parse(r.Body).RootElement;

    public class TheRegisterAsyncMethod
    {
        [Fact]
        public async Task RegisterAsync_PostsIdNameIconPlacementHandlerAndFlags_AsJson()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("register-ok"));

            await h.UserClient().Connectors.RegisterAsync(new ConnectorRegistration
            {
                Id = "linebridge", Name = "LineBridge", Icon = new ConnectorIcon { DataImage = "data:image/svg+xml,%3Csvg%3E", Color = "#2d6cdf" },
                PlacementHandler = "https://app.example.com/placement", EditInternalMessages = true, DelInternalMessages = true,
            }, TestContext.Current.CancellationToken);

            var request = Assert.Single(h.Portal.Requests);
            Assert.Equal("https://example.bitrix24.com/rest/imconnector.register", request.Uri.AbsoluteUri);
            Assert.Equal("user-token", request.BearerToken);
            var body = Body(request);
            Assert.Equal("user-token", body.GetProperty("auth").GetString());
            Assert.Equal("linebridge", body.GetProperty("ID").GetString());
            Assert.Equal("LineBridge", body.GetProperty("NAME").GetString());
            Assert.Equal("data:image/svg+xml,%3Csvg%3E", body.GetProperty("ICON").GetProperty("DATA_IMAGE").GetString());
            Assert.Equal("https://app.example.com/placement", body.GetProperty("PLACEMENT_HANDLER").GetString());
            Assert.True(body.GetProperty("EDIT_INTERNAL_MESSAGES").GetBoolean());
            Assert.True(body.GetProperty("DEL_INTERNAL_MESSAGES").GetBoolean());
            Assert.False(body.TryGetProperty("CHAT_GROUP", out _));
        }

        [Fact]
        public async Task RegisterAsync_ThrowsBitrix24Exception_WhenNestedResultIsFalse()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("register-error"));

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => h.UserClient().Connectors.RegisterAsync(new ConnectorRegistration
            {
                Id = "linebridge", Name = "LineBridge", Icon = new ConnectorIcon { DataImage = "data:," }, PlacementHandler = "",
            }, TestContext.Current.CancellationToken));

            Assert.Equal("NO_PLACEMENT_HANDLER", ex.ErrorCode);
            Assert.Equal("imconnector.register", ex.Method);
            Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
        }
    }

    public class TheSendMessagesAsyncMethod
    {
        [Fact]
        public async Task SendMessages_PostsConnectorLineAndLowerCaseMessages()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("send-messages-mixed"));

            await h.UserClient().Connectors.SendMessagesAsync(TwoMessages(), TestContext.Current.CancellationToken);

            var body = Body(Assert.Single(h.Portal.Requests));
            Assert.Equal("linebridge", body.GetProperty("CONNECTOR").GetString());
            Assert.Equal(12, body.GetProperty("LINE").GetInt32());
            var first = body.GetProperty("MESSAGES")[0];
            Assert.Equal("u-1", first.GetProperty("user").GetProperty("id").GetString());
            Assert.Equal("Ivan", first.GetProperty("user").GetProperty("name").GetString());
            Assert.Equal("ext-msg-1001", first.GetProperty("message").GetProperty("id").GetString());
            Assert.Equal(1757424671, first.GetProperty("message").GetProperty("date").GetInt64());
            Assert.Equal("channel-123", first.GetProperty("chat").GetProperty("id").GetString());
            Assert.False(first.GetProperty("user").TryGetProperty("last_name", out _));
        }

        [Fact]
        public async Task SendMessages_ReturnsPerItemResults_IncludingFailedItems()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("send-messages-mixed"));

            var result = await h.UserClient().Connectors.SendMessagesAsync(TwoMessages(), TestContext.Current.CancellationToken);

            Assert.Equal(2, result.Items.Count);
            Assert.True(result.Items[0].Success);
            Assert.Equal("585", result.Items[0].PortalUserId);
            Assert.Equal("323", result.Items[0].SessionId);
            Assert.Equal("1767", result.Items[0].PortalChatId);
            Assert.False(result.Items[1].Success);
            Assert.Equal(["Not all the required data was transferred"], result.Items[1].Errors);
        }

        [Fact]
        public async Task SendMessages_ThrowsBitrix24Exception_WhenPortalReturnsError()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("not-active-line", HttpStatusCode.BadRequest));

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() =>
                h.UserClient().Connectors.SendMessagesAsync(TwoMessages(), TestContext.Current.CancellationToken));

            Assert.Equal(Bitrix24Errors.NotActiveLine, ex.ErrorCode);
            Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
            Assert.Equal("The line with this ID is inactive or does not exist", ex.ErrorDescription);
        }

        [Fact]
        public async Task SendMessages_IsNotRetried_WhenPortalAnswersServerError()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("internal-server-error", HttpStatusCode.InternalServerError));

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() =>
                h.UserClient().Connectors.SendMessagesAsync(TwoMessages(), TestContext.Current.CancellationToken));

            Assert.Equal(Bitrix24Errors.InternalServerError, ex.ErrorCode);
            Assert.Single(h.Portal.Requests);
        }

        [Fact]
        public async Task SendMessages_IsRetried_WhenPortalRefusesWithQueryLimitExceeded()
        {
            var calls = 0;
            await using var h = new ClientHarness(_ => Interlocked.Increment(ref calls) <= 2
                ? RecordingHandler.Fixture("query-limit-exceeded", HttpStatusCode.ServiceUnavailable)
                : RecordingHandler.Fixture("send-messages-mixed"));

            var result = await h.UserClient().Connectors.SendMessagesAsync(TwoMessages(), TestContext.Current.CancellationToken);

            Assert.Equal(2, result.Items.Count);
            Assert.Equal(3, h.Portal.Requests.Count);
            Assert.All(h.Portal.Requests, r => Assert.Equal(h.Portal.Requests.First().Body, r.Body));
        }

        [Fact]
        public async Task SendMessages_ThrowsNotActiveLine_WhenOldPortalAnswersSuccessFalseWithoutItems()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":{"SUCCESS":false,"DATA":[]}}"""));

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() =>
                h.UserClient().Connectors.SendMessagesAsync(TwoMessages(), TestContext.Current.CancellationToken));

            Assert.Equal(Bitrix24Errors.NotActiveLine, ex.ErrorCode);
        }
    }

    public class TheUpdateAndDeleteMessagesAsyncMethods
    {
        [Fact]
        public async Task UpdateMessages_IsRetried_WhenPortalAnswersServerErrorOnce()
        {
            var calls = 0;
            await using var h = new ClientHarness(_ => Interlocked.Increment(ref calls) == 1
                ? RecordingHandler.Fixture("internal-server-error", HttpStatusCode.InternalServerError)
                : RecordingHandler.Fixture("update-messages-ok"));

            var request = TwoMessages() with { Messages = [TwoMessages().Messages[0]] };
            var result = await h.UserClient().Connectors.UpdateMessagesAsync(request, TestContext.Current.CancellationToken);

            Assert.True(Assert.Single(result.Items).Success);
            Assert.Equal(2, h.Portal.Requests.Count);
            Assert.All(h.Portal.Requests, r => Assert.Equal("imconnector.update.messages", r.RestMethod));
        }

        [Fact]
        public async Task DeleteMessages_PostsToDeleteMethod_AndMarksMissingItemsFailed()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("update-messages-ok"));

            var result = await h.UserClient().Connectors.DeleteMessagesAsync(TwoMessages(), TestContext.Current.CancellationToken);

            Assert.Equal("imconnector.delete.messages", Assert.Single(h.Portal.Requests).RestMethod);
            Assert.True(result.Items[0].Success);
            Assert.False(result.Items[1].Success);
        }
    }

    public class TheLineMethods
    {
        [Fact]
        public async Task Status_ReadsStringNumbersAndYesFlags()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("connector-status"));

            var status = await h.UserClient().Connectors.StatusAsync("linebridge", 12, TestContext.Current.CancellationToken);

            Assert.Equal(new ConnectorStatus(12, "linebridge", false, true, true), status);
            var body = Body(Assert.Single(h.Portal.Requests));
            Assert.Equal("linebridge", body.GetProperty("CONNECTOR").GetString());
            Assert.Equal(12, body.GetProperty("LINE").GetInt32());
        }

        [Fact]
        public async Task Activate_PostsActiveAsOneOrZero()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":true}"""));
            var connectors = h.UserClient().Connectors;

            Assert.True(await connectors.ActivateAsync("linebridge", 3, true, TestContext.Current.CancellationToken));
            await connectors.ActivateAsync("linebridge", 3, false, TestContext.Current.CancellationToken);

            var bodies = h.Portal.Requests.Select(Body).ToList();
            Assert.Equal(1, bodies[0].GetProperty("ACTIVE").GetInt32());
            Assert.Equal(0, bodies[1].GetProperty("ACTIVE").GetInt32());
            Assert.Equal(3, bodies[0].GetProperty("LINE").GetInt32());
        }

        [Fact]
        public async Task Activate_ReturnsFalse_WhenPortalAnswersResultFalse()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":false}"""));

            Assert.False(await h.UserClient().Connectors.ActivateAsync("linebridge", 3, false, TestContext.Current.CancellationToken));
        }

        [Fact]
        public async Task SetConnectorData_PostsDataObject()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":true}"""));

            await h.UserClient().Connectors.SetConnectorDataAsync("linebridge", 3,
                new ConnectorData { Id = "lb-3", Url = "https://app.example.com", Name = "LineBridge" }, TestContext.Current.CancellationToken);

            var request = Assert.Single(h.Portal.Requests);
            Assert.Equal("imconnector.connector.data.set", request.RestMethod);
            var data = Body(request).GetProperty("DATA");
            Assert.Equal("lb-3", data.GetProperty("ID").GetString());
            Assert.Equal("https://app.example.com", data.GetProperty("URL").GetString());
            Assert.False(data.TryGetProperty("URL_IM", out _));
        }

        [Fact]
        public async Task SetError_ReadsSuccessFlag()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("success-data-empty"));

            Assert.True(await h.UserClient().Connectors.SetErrorAsync("linebridge", 3, TestContext.Current.CancellationToken));
            Assert.Equal("imconnector.set.error", Assert.Single(h.Portal.Requests).RestMethod);
        }

        [Fact]
        public async Task SendDeliveryStatus_PostsImIdsAndExternalIdArray()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("success-data-empty"));

            await h.UserClient().Connectors.SendDeliveryStatusAsync(new ConnectorStatusRequest("linebridge", 3,
                [new ConnectorStatusMessage(new ConnectorImReference("1807", "86497"), new ConnectorStatusMessageBody(["ext-9"], 1757424671), new ConnectorChatReference("channel-123"))]),
                TestContext.Current.CancellationToken);

            var request = Assert.Single(h.Portal.Requests);
            Assert.Equal("imconnector.send.status.delivery", request.RestMethod);
            var message = Body(request).GetProperty("MESSAGES")[0];
            Assert.Equal("86497", message.GetProperty("im").GetProperty("message_id").GetString());
            Assert.Equal("ext-9", message.GetProperty("message").GetProperty("id")[0].GetString());
        }

        [Fact]
        public async Task SendReadingStatus_PostsToReadingMethod()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("success-data-empty"));

            await h.UserClient().Connectors.SendReadingStatusAsync(new ConnectorStatusRequest("linebridge", 3,
                [new ConnectorStatusMessage(new ConnectorImReference("1807", "86497"), new ConnectorStatusMessageBody(["ext-9"]), new ConnectorChatReference("channel-123"))]),
                TestContext.Current.CancellationToken);

            Assert.Equal("imconnector.send.status.reading", Assert.Single(h.Portal.Requests).RestMethod);
        }

        [Fact]
        public async Task SetChatName_PostsUpperCaseArguments()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Json("""{"result":{"SUCCESS":true,"DATA":{"RESULT":{}}}}"""));

            Assert.True(await h.UserClient().Connectors.SetChatNameAsync(new ChatNameRequest("linebridge", 3, "channel-123", "VIP", "u-1"),
                TestContext.Current.CancellationToken));

            var body = Body(Assert.Single(h.Portal.Requests));
            Assert.Equal("channel-123", body.GetProperty("CHAT_ID").GetString());
            Assert.Equal("VIP", body.GetProperty("NAME").GetString());
            Assert.Equal("u-1", body.GetProperty("USER_ID").GetString());
        }

        [Fact]
        public async Task List_ReturnsConnectorNamesById()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Fixture("connector-list"));

            var list = await h.UserClient().Connectors.ListAsync(TestContext.Current.CancellationToken);

            Assert.Equal("LineBridge", list["linebridge"]);
            Assert.Equal(3, list.Count);
        }

        [Fact]
        public async Task Unregister_PostsId_AndThrowsOnNestedError()
        {
            await using var h = new ClientHarness(_ => RecordingHandler.Json(
                """{"result":{"result":false,"error":"APPLICATION_UNREGISTRATION_ERROR","error_description":"failed"}}"""));

            var ex = await Assert.ThrowsAsync<Bitrix24Exception>(() => h.UserClient().Connectors.UnregisterAsync("linebridge", TestContext.Current.CancellationToken));

            Assert.Equal("APPLICATION_UNREGISTRATION_ERROR", ex.ErrorCode);
            Assert.Equal("linebridge", Body(Assert.Single(h.Portal.Requests)).GetProperty("ID").GetString());
        }
    }
}
