using LineBridge.Components;
using LineBridge.Components.Localization;
using LineBridge.Components.Messages;

namespace LineBridge.Messages;

public class MessageServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EditAsync_StoresAVersionByThePortalUser_AndQueuesIt()
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1", "v1"))[0].Record.Id.ToString();

        var outcome = await h.Service.EditAsync(MessagesHarness.Session(), id, 1, "v2", Ct);

        var accepted = Assert.IsType<EditOutcome.Accepted>(outcome);
        Assert.Equal(("v2", 2, MessageStatus.Queued, "Olga Operator"), (accepted.Message.Text, accepted.Message.Version, accepted.Message.Status, accepted.Message.LastEditedBy));
        var history = await h.Service.GetHistoryAsync(MessagesHarness.Session(), id, Ct);
        Assert.Equal(("v1", "v2", "Olga Operator", "portal user #7"), (history[1].OldText, history[1].NewText, history[1].ChangedBy, history[1].Source));
    }

    [Fact]
    public async Task EditAsync_ReportsAConflictWithTheCurrentText_WhenSomeoneEditedFirst()
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1", "v1"))[0].Record.Id.ToString();
        await h.Service.EditAsync(MessagesHarness.Session(), id, 1, "theirs", Ct);

        var outcome = await h.Service.EditAsync(MessagesHarness.Session(), id, 1, "mine", Ct);

        var conflict = Assert.IsType<EditOutcome.Conflict>(outcome);
        Assert.Equal(("theirs", 2), (conflict.Current.Text, conflict.Current.Version));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task EditAsync_RejectsEmptyText(string text)
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1"))[0].Record.Id.ToString();

        Assert.IsType<EditOutcome.Rejected>(await h.Service.EditAsync(MessagesHarness.Session(), id, 1, text, Ct));
    }

    // Named, not inlined: a lone surrogate does not survive the test runner's serialization of theory data.
    [Theory]
    [InlineData("nul")]
    [InlineData("half a character")]
    public async Task EditAsync_RejectsTextNoStoreCanKeep_AndKeepsTheMessage(string kind)
    {
        var text = kind == "nul" ? "bye\0" : "half \ud83d of a smile";
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1", "v1"))[0].Record.Id.ToString();

        var outcome = await h.Service.EditAsync(MessagesHarness.Session(), id, 1, text, Ct);

        Assert.Contains("cannot be stored", Localizer.PlainEnglish(Assert.IsType<EditOutcome.Rejected>(outcome).Reason));
        Assert.Single(await h.Service.GetHistoryAsync(MessagesHarness.Session(), id, Ct));
    }

    [Fact]
    public async Task EditAsync_RejectsTextOverThePortalsLimit_AndAcceptsItAtTheLimit()
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1"))[0].Record.Id.ToString();

        var tooLong = await h.Service.EditAsync(MessagesHarness.Session(), id, 1, new string('x', 20_001), Ct);
        var atLimit = await h.Service.EditAsync(MessagesHarness.Session(), id, 1, new string('x', 20_000), Ct);

        Assert.Contains("20000", Assert.IsType<EditOutcome.Rejected>(tooLong).Reason);
        Assert.IsType<EditOutcome.Accepted>(atLimit);
        Assert.Equal(20_000, h.Service.MaxTextLength);
    }

    [Fact]
    public async Task EditAsync_IsNotFound_ForAnotherPortalsMessageOrABadId()
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1"))[0].Record.Id.ToString();

        Assert.IsType<EditOutcome.NotFound>(await h.Service.EditAsync(MessagesHarness.Session(memberId: MessagesHarness.OtherMemberId), id, 1, "x", Ct));
        Assert.IsType<EditOutcome.NotFound>(await h.Service.EditAsync(MessagesHarness.Session(), "not-an-id", 1, "x", Ct));
        Assert.Null(await h.Service.GetAsync(MessagesHarness.Session(memberId: MessagesHarness.OtherMemberId), id, Ct));
    }

    [Fact]
    public async Task RevertAsync_MakesAnEarlierTextCurrentAsANewVersion()
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1", "original"))[0].Record.Id.ToString();
        await h.Service.EditAsync(MessagesHarness.Session(), id, 1, "changed", Ct);

        var outcome = await h.Service.RevertAsync(MessagesHarness.Session(), id, toVersion: 1, expectedVersion: 2, Ct);

        Assert.Equal(("original", 3), (Assert.IsType<EditOutcome.Accepted>(outcome).Message.Text, 3));
        var history = await h.Service.GetHistoryAsync(MessagesHarness.Session(), id, Ct);
        Assert.Equal(["original", "changed", "original"], history.Select(v => v.NewText));
        Assert.Contains("revert to version 1", history[2].Source);
        await h.DrainAsync();
        // The edit and its revert were both queued behind the send: one update carries the newest text.
        Assert.Equal(["send:original", "update:original"], h.Portal.Calls.Select(c => $"{c.Method}:{c.Request.Messages.Single().Message.Text}"));
    }

    [Fact]
    public async Task PreviewReplaceAsync_ListsMessagesOfTheChatContainingTheText_WithTheirNewText()
    {
        using var h = new MessagesHarness();
        h.Send(MessagesHarness.Message("m1", "colour red", chat: "a"), MessagesHarness.Message("m2", "no match", chat: "a"),
            MessagesHarness.Message("m3", "colour blue", chat: "b"), MessagesHarness.Message("m4", "Colour caps", chat: "a"));

        var inChat = await h.Service.PreviewReplaceAsync(MessagesHarness.Session(), 1, "a", "colour", "color", Ct);
        var inLine = await h.Service.PreviewReplaceAsync(MessagesHarness.Session(), 1, null, "colour", "color", Ct);

        Assert.Equal([("m1", "color red")], inChat.Select(p => (p.Message.ExternalMessageId, p.NewText)));
        Assert.Equal(["m3", "m1"], inLine.Select(p => p.Message.ExternalMessageId));
    }

    [Fact]
    public async Task SendTestMessageAsync_SendsIntoAConnectedLine_ForAdministratorsOnly()
    {
        using var h = new MessagesHarness();
        h.Lines.MarkConnected(MessagesHarness.MemberId, 5);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => h.Service.SendTestMessageAsync(MessagesHarness.Session(admin: false), 5, "hi", Ct));
        await Assert.ThrowsAsync<OperationFailedException>(() => h.Service.SendTestMessageAsync(MessagesHarness.Session(), 6, "hi", Ct));
        var sent = await h.Service.SendTestMessageAsync(MessagesHarness.Session(), 5, "hi", Ct);
        await h.DrainAsync();

        Assert.Equal((5, "hi"), (sent.LineId, sent.Text));
        Assert.Equal("send", Assert.Single(h.Portal.Calls).Method);
        Assert.Equal(MessageStatus.Sent, (await h.Service.GetAsync(MessagesHarness.Session(), sent.Id, Ct))!.Status);
    }
}
