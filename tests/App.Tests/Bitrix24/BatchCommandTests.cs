using LineBridge.Bitrix24.Models;

namespace LineBridge.Bitrix24;

public class BatchCommandTests
{
    [Fact]
    public void Of_FlattensParametersIntoPhpNestedKeys_LeavingOutNulls()
    {
        var command = BatchCommand.Of("imconnector.send.messages", new
        {
            CONNECTOR = "linebridge",
            LINE = 7,
            ACTIVE = true,
            MESSAGES = new[]
            {
                new ConnectorMessage(new ConnectorUser { Id = "u1", Name = "Ann" }, new ConnectorMessageBody { Id = "m1", Text = "a&b=c ä" },
                    new ConnectorChat { Id = "c1" }),
            },
        });

        Assert.Equal(new Dictionary<string, string>
        {
            ["CONNECTOR"] = "linebridge",
            ["LINE"] = "7",
            ["ACTIVE"] = "1",
            ["MESSAGES[0][user][id]"] = "u1",
            ["MESSAGES[0][user][name]"] = "Ann",
            ["MESSAGES[0][message][id]"] = "m1",
            ["MESSAGES[0][message][text]"] = "a&b=c ä",
            ["MESSAGES[0][chat][id]"] = "c1",
        }, command.Parameters);
        // Keys and values are percent-encoded, so an '&' or '=' in a text cannot split the query.
        Assert.Contains("MESSAGES%5B0%5D%5Bmessage%5D%5Btext%5D=a%26b%3Dc%20%C3%A4", command.ToQuery(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NOT_ACTIVE_LINE", 400)]
    [InlineData("OPERATION_TIME_LIMIT", 429)]
    [InlineData("QUERY_LIMIT_EXCEEDED", 503)]
    [InlineData("INTERNAL_SERVER_ERROR", 500)]
    [InlineData("PAYMENT_REQUIRED", 402)]
    [InlineData("expired_token", 401)]
    public void ACommandsError_HasTheStatusTheSameCallAloneWouldHave(string code, int status) =>
        Assert.Equal(status, (int)Bitrix24Errors.StatusOf(code));
}
