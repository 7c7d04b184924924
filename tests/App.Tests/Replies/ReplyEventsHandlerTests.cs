using LineBridge.Events;

namespace LineBridge.Replies;

public sealed class ReplyEventsHandlerTests
{
    private static PortalEvent Event(string name, params (string Key, string Value)[] fields) =>
        new(name, "member-1", fields.ToDictionary(f => f.Key, f => f.Value), DateTimeOffset.UtcNow);

    [Fact]
    public void Parse_ReadsAnAddEvent_WithTextFilesAndOperator()
    {
        var e = Event(PortalEventNames.MessageAdd,
            ("data[CONNECTOR]", "linebridge"), ("data[LINE]", "107"),
            ("data[MESSAGES][0][im][chat_id]", "1807"), ("data[MESSAGES][0][im][message_id]", "86497"),
            ("data[MESSAGES][0][message][user_id]", "27"), ("data[MESSAGES][0][message][text]", "[b]Anna:[/b] [br]Hello"),
            ("data[MESSAGES][0][message][files][0][name]", "invoice.pdf"), ("data[MESSAGES][0][message][files][0][link]", "https://portal/x"),
            ("data[MESSAGES][0][message][files][0][mime]", "application/pdf"), ("data[MESSAGES][0][message][files][0][size]", "1024"),
            ("data[MESSAGES][0][chat][id]", "channel-123"));

        var reply = Assert.Single(ReplyEventsHandler.Parse(e));

        Assert.Equal(ReplyChange.Created, reply.Change);
        Assert.Equal(107, reply.Line);
        Assert.Equal(("1807", "86497", "channel-123"), (reply.ImChatId, reply.ImMessageId, reply.ChatId));
        Assert.Equal("27", reply.OperatorId);
        Assert.Equal("[b]Anna:[/b] [br]Hello", reply.Text);
        Assert.Equal([new ReplyFile("invoice.pdf", "https://portal/x", "application/pdf", 1024)], reply.Files);
    }

    [Fact]
    public void Parse_ReadsTheExternalIdArray_OfAnUpdate()
    {
        var e = Event(PortalEventNames.MessageUpdate,
            ("data[CONNECTOR]", "linebridge"), ("data[LINE]", "1"),
            ("data[MESSAGES][0][im][chat_id]", "5"), ("data[MESSAGES][0][im][message_id]", "9"),
            ("data[MESSAGES][0][message][id][0]", "ext-1"), ("data[MESSAGES][0][message][id][1]", "ext-2"),
            ("data[MESSAGES][0][message][text]", "fixed"), ("data[MESSAGES][0][chat][id]", "c"));

        var reply = Assert.Single(ReplyEventsHandler.Parse(e));

        Assert.Equal(ReplyChange.Updated, reply.Change);
        Assert.Equal(["ext-1", "ext-2"], reply.ExternalIds);
        Assert.Equal("fixed", reply.Text);
    }

    [Fact]
    public void Parse_ReadsEveryElementOfADelete_WithTheScalarExternalId_AndNoText()
    {
        var e = Event(PortalEventNames.MessageDelete,
            ("data[CONNECTOR]", "linebridge"), ("data[LINE]", "1"),
            ("data[MESSAGES][0][im][chat_id]", "5"), ("data[MESSAGES][0][im][message_id]", "9"),
            ("data[MESSAGES][0][message][id]", "ext-1"), ("data[MESSAGES][0][chat][id]", "c"),
            ("data[MESSAGES][1][im][chat_id]", "5"), ("data[MESSAGES][1][im][message_id]", "9"),
            ("data[MESSAGES][1][message][id]", "ext-2"), ("data[MESSAGES][1][chat][id]", "c"));

        var replies = ReplyEventsHandler.Parse(e);

        Assert.Equal([["ext-1"], ["ext-2"]], replies.Select(r => r.ExternalIds));
        Assert.All(replies, r => Assert.Null(r.Text));
        Assert.All(replies, r => Assert.Equal(ReplyChange.Deleted, r.Change));
    }

    [Fact]
    public void Parse_SkipsElementsWithoutIds_AndReadsTheRest()
    {
        var e = Event(PortalEventNames.MessageAdd,
            ("data[CONNECTOR]", "linebridge"), ("data[LINE]", "1"),
            ("data[MESSAGES][0][im][chat_id]", "5"), ("data[MESSAGES][0][chat][id]", "c"),
            ("data[MESSAGES][1][im][chat_id]", "5"), ("data[MESSAGES][1][im][message_id]", "10"), ("data[MESSAGES][1][chat][id]", "c"));

        var reply = Assert.Single(ReplyEventsHandler.Parse(e));

        Assert.Equal("10", reply.ImMessageId);
        Assert.Equal("", reply.Text);
    }

    [Fact]
    public void Parse_ReturnsNothing_WhenTheLineIsMissing()
    {
        var e = Event(PortalEventNames.MessageAdd,
            ("data[CONNECTOR]", "linebridge"),
            ("data[MESSAGES][0][im][chat_id]", "5"), ("data[MESSAGES][0][im][message_id]", "9"), ("data[MESSAGES][0][chat][id]", "c"));

        Assert.Empty(ReplyEventsHandler.Parse(e));
    }
}
