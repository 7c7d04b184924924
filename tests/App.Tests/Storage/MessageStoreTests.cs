using LineBridge.Components.Messages;
using LineBridge.Messages;

namespace LineBridge.Storage;

public class MessageStoreTests
{
    [Fact]
    public void Add_ReturnsTheExistingRecordAsADuplicate_WhenTheSameChatAndMessageIdComeAgain()
    {
        using var h = new MessagesHarness();
        var first = h.Send(MessagesHarness.Message("m1", "first"));
        var again = h.Send(MessagesHarness.Message("m1", "second"), MessagesHarness.Message("m1", "third"));

        Assert.False(first[0].Duplicate);
        Assert.All(again, a => Assert.True(a.Duplicate));
        Assert.All(again, a => Assert.Equal(first[0].Record.Id, a.Record.Id));
        Assert.Single(h.Store.LoadOutbox(10));
    }

    private static NewMessage New(string id, string chat = "chat-1") =>
        new(MessagesHarness.MemberId, "linebridge", 1, MessagesHarness.Message(id, "text " + id, chat));

    [Fact]
    public async Task AddAsync_ConcurrentRequests_AreEachRecordedOnce_AndTheSameMessageFromTwoRequestsOnlyOnce()
    {
        using var h = new MessagesHarness();

        // 40 requests at once, each with its own message plus one message every request carries.
        var requests = Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            h.Store.AddAsync([New($"own-{i}"), New("shared")], "API", "api"))).ToList();
        // Bounded: a request left behind by the commit leader would otherwise hang here instead of failing.
        var results = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.False(r[0].Duplicate));
        Assert.Equal(1, results.Count(r => !r[1].Duplicate));
        Assert.Single(results.Select(r => r[1].Record.Id).Distinct());
        Assert.Equal(41, h.Store.LoadOutbox(100).Count);
        for (var i = 0; i < 40; i++) Assert.NotNull(h.Store.FindByExternal(MessagesHarness.MemberId, 1, "chat-1", $"own-{i}"));
    }

    [Fact]
    public async Task AddAsync_ABadRequestGroupedWithGoodOnes_FailsAlone()
    {
        using var h = new MessagesHarness();
        var noId = new NewMessage(MessagesHarness.MemberId, "linebridge", 1,
            MessagesHarness.Message("x") with { Message = new Bitrix24.Models.ConnectorMessageBody { Text = "no id" } });

        var requests = Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            h.Store.AddAsync(i == 7 ? [noId] : [New($"m{i}")], "API", "api"))).ToList();
        await Assert.ThrowsAsync<ArgumentException>(() => requests[7].WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));

        foreach (var (request, i) in requests.Select((r, i) => (r, i)).Where(p => p.i != 7)) Assert.False((await request)[0].Duplicate);
        Assert.Equal(19, h.Store.LoadOutbox(100).Count);
    }

    [Fact]
    public void Add_TreatsIdsDifferingOnlyInCaseAsDifferentMessages()
    {
        using var h = new MessagesHarness();
        var added = h.Send(MessagesHarness.Message("Msg-1", chat: "Chat"), MessagesHarness.Message("msg-1", chat: "Chat"),
            MessagesHarness.Message("Msg-1", chat: "chat"));

        Assert.All(added, a => Assert.False(a.Duplicate));
        Assert.Equal("Msg-1", h.Store.FindByExternal(MessagesHarness.MemberId, 1, "Chat", "Msg-1")!.ExternalMessageId);
        Assert.Equal("msg-1", h.Store.FindByExternal(MessagesHarness.MemberId, 1, "Chat", "msg-1")!.ExternalMessageId);
    }

    [Fact]
    public void Add_StoresExactlyWhatThePortalGets()
    {
        using var h = new MessagesHarness();
        var message = MessagesHarness.Message("m1", "hi", chat: "c-9", user: "u-9") with
        {
            User = new() { Id = "u-9", Name = "Ann", LastName = "Lee", Email = "ann@example.com" },
        };
        var record = h.Send(4, message)[0].Record;

        var stored = MessageStore.DeserializePayload(h.Store.Get(MessagesHarness.MemberId, record.Id)!.Payload);
        Assert.Equal(message.User, stored.User);
        Assert.Equal(message.Chat, stored.Chat);
        Assert.Equal((4, "linebridge", "hi"), (record.Line, record.Connector, record.Text));
    }

    [Fact]
    public void QueryPage_ReturnsTheLineNewestFirst_AndOnlyThePortalsOwnMessages()
    {
        using var h = new MessagesHarness();
        for (var i = 0; i < 30; i++)
        {
            h.Send(MessagesHarness.Message("m" + i, "text " + i));
            h.Time.Advance(TimeSpan.FromSeconds(1));
        }
        h.Lines.MarkConnected(MessagesHarness.OtherMemberId, 1);
        h.Service.Send(MessagesHarness.OtherMemberId, 1, [MessagesHarness.Message("theirs")], ChangeAuthor.Api);
        h.Send(2, MessagesHarness.Message("other-line"));

        var (first, total) = h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, PageSize: 25));
        var (second, _) = h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Page: 1, PageSize: 25));

        Assert.Equal(30, total);
        Assert.Equal(Enumerable.Range(5, 25).Reverse().Select(i => "m" + i), first.Select(r => r.ExternalMessageId));
        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => "m" + i), second.Select(r => r.ExternalMessageId));
        Assert.Equal(1, h.Store.QueryPage(MessagesHarness.OtherMemberId, new MessageQuery(1)).Total);
    }

    [Fact]
    public async Task QueryPage_FiltersByChatStatusAndText_WithMatchingTotals()
    {
        using var h = new MessagesHarness();
        h.Portal.Answer = (_, m) => new() { Success = m.Message.Id != "m3" };
        h.Send(MessagesHarness.Message("m1", "Hello World", chat: "a"), MessagesHarness.Message("m2", "other", chat: "a"),
            MessagesHarness.Message("m3", "hello again", chat: "b"), MessagesHarness.Message("m4", "bye", chat: "b"));
        await h.DrainAsync();

        Assert.Equal(["m2", "m1"], Ids(h, new MessageQuery(1, ChatId: "a")));
        Assert.Equal(["m3"], Ids(h, new MessageQuery(1, Status: MessageStatus.Failed)));
        Assert.Equal(["m3", "m1"], Ids(h, new MessageQuery(1, Text: "HELLO")));
        Assert.Equal(["m3"], Ids(h, new MessageQuery(1, ChatId: "b", Text: "hello")));
        Assert.Equal(["m4"], Ids(h, new MessageQuery(1, ChatId: "b", Status: MessageStatus.Sent)));
        Assert.Equal(["m1"], Ids(h, new MessageQuery(1, Status: MessageStatus.Sent, Text: "hello")));
        Assert.Equal(3, h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Status: MessageStatus.Sent)).Total);
        Assert.Equal(2, h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "hello")).Total);
        Assert.Equal(2, h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, ChatId: "b")).Total);
    }

    [Fact]
    public void QueryPage_FindsTheNewTextAfterAnEdit()
    {
        using var h = new MessagesHarness();
        var sent = h.Send(MessagesHarness.Message("m1", "typo here"));
        h.Service.Edit(MessagesHarness.MemberId, sent[0].Record.Id, 1, "fixed text", ChangeAuthor.Api);

        Assert.Empty(Ids(h, new MessageQuery(1, Text: "typo")));
        Assert.Equal(["m1"], Ids(h, new MessageQuery(1, Text: "fixed")));
    }

    [Fact]
    public void QueryPage_SearchesAcrossSearchBlocks_NewestFirst_AndSeesEdits()
    {
        using var h = new MessagesHarness();
        var count = MessageStore.SearchBlockSize * 2 + 10;
        var sent = h.Send(Enumerable.Range(0, count).Select(i => MessagesHarness.Message("m" + i, i % 50 == 0 ? "Needle " + i : "hay")).ToArray());
        h.Service.Edit(MessagesHarness.MemberId, sent[1].Record.Id, null, "now a NEEDLE", ChangeAuthor.Api);
        h.Service.Edit(MessagesHarness.MemberId, sent[50].Record.Id, null, "hay again", ChangeAuthor.Api);

        var (items, total) = h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "needle", PageSize: 3));

        var expected = Enumerable.Range(0, count).Where(i => (i % 50 == 0 && i != 50) || i == 1).Reverse().ToList();
        Assert.Equal(expected.Count, total);
        Assert.Equal(expected.Take(3).Select(i => "m" + i), items.Select(r => r.ExternalMessageId));
        Assert.Equal(expected.Select(i => "m" + i), h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "needle", PageSize: 100)).Items
            .Select(r => r.ExternalMessageId));
    }

    [Fact]
    public void QueryPage_TextSearch_StopsCountingAtTheCap_AndStillPagesNewestFirst()
    {
        using var h = new MessagesHarness();
        var count = MessageStore.SearchTotalCap + 200;
        for (var from = 0; from < count; from += 100)
        {
            h.Send(Enumerable.Range(from, 100).Select(i => MessagesHarness.Message("m" + i, i % 2 == 0 ? "needle " + i : "hay")).ToArray());
        }
        h.Send(Enumerable.Range(count, 100).Select(i => MessagesHarness.Message("m" + i, "needle " + i)).ToArray());
        var matches = Enumerable.Range(0, count + 100).Where(i => i >= count || i % 2 == 0).Reverse().ToList();   // 600 + 100

        var first = h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "needle", PageSize: 25));
        Assert.Equal(matches.Count, first.Total);   // under the cap: counted exactly
        Assert.False(first.TotalIsCapped);

        h.Send(Enumerable.Range(count + 100, 400).Select(i => MessagesHarness.Message("m" + i, "needle " + i)).ToArray());
        matches = Enumerable.Range(count + 100, 400).Reverse().Concat(matches).ToList();   // 1,100 matches
        var capped = h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "needle", PageSize: 25));
        Assert.True(capped.TotalIsCapped);
        Assert.Equal(MessageStore.SearchTotalCap, capped.Total);
        Assert.Equal(matches.Take(25).Select(i => "m" + i), capped.Items.Select(r => r.ExternalMessageId));
        var page30 = h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "needle", Page: 30, PageSize: 25));
        Assert.Equal(matches.Skip(750).Take(25).Select(i => "m" + i), page30.Items.Select(r => r.ExternalMessageId));
        // Past the cap, the page is still found (and the total is the count so far).
        var last = h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "needle", Page: 43, PageSize: 25));
        Assert.Equal(1_100, last.Total);
        Assert.Equal(matches.Skip(43 * 25).Take(25).Select(i => "m" + i), last.Items.Select(r => r.ExternalMessageId));
        Assert.False(last.TotalIsCapped);
    }

    [Fact]
    public void Change_ReportsAConflict_AndWritesNothing_WhenTheExpectedVersionIsStale()
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1", "v1"))[0].Record.Id;
        h.Store.Change(MessagesHarness.MemberId, id, ChangeKind.Edit, 1, "v2", "Ann", "API");

        var result = h.Store.Change(MessagesHarness.MemberId, id, ChangeKind.Edit, 1, "v2-other", "Bob", "API");

        Assert.Equal(ChangeOutcome.Conflict, result.Outcome);
        Assert.Equal(("v2", 2), (result.Message!.Text, result.Message.Version));
        Assert.Equal(2, h.Store.GetVersions(MessagesHarness.MemberId, id).Count);
        Assert.Equal(2, h.Store.LoadOutbox(10).Count);
    }

    [Fact]
    public void Change_KeepsEachVersionWithOldAndNewTextAndAuthor()
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1", "v1"))[0].Record.Id;
        h.Store.Change(MessagesHarness.MemberId, id, ChangeKind.Edit, null, "v2", "Olga", "portal user #7");
        h.Store.Change(MessagesHarness.MemberId, id, ChangeKind.Delete, null, null, "API", "API");

        var versions = h.Store.GetVersions(MessagesHarness.MemberId, id);

        Assert.Equal([(1, null, "v1", "API"), (2, "v1", "v2", "Olga"), (3, "v2", "", "API")],
            versions.Select(v => (v.Version, v.OldText, v.NewText, v.ChangedBy)));
        Assert.Equal([ChangeKind.Send, ChangeKind.Edit, ChangeKind.Delete], versions.Select(v => v.Kind));
        Assert.Equal(ChangeOutcome.Rejected, h.Store.Change(MessagesHarness.MemberId, id, ChangeKind.Edit, null, "v4", "A", "API").Outcome);
    }

    [Fact]
    public void Get_DoesNotReturnAnotherPortalsMessage()
    {
        using var h = new MessagesHarness();
        var id = h.Send(MessagesHarness.Message("m1"))[0].Record.Id;

        Assert.Null(h.Store.Get(MessagesHarness.OtherMemberId, id));
        Assert.Null(h.Store.FindByExternal(MessagesHarness.OtherMemberId, 1, "chat-1", "m1"));
        Assert.Empty(h.Store.GetVersions(MessagesHarness.OtherMemberId, id));
        Assert.Equal(ChangeOutcome.NotFound, h.Store.Change(MessagesHarness.OtherMemberId, id, ChangeKind.Edit, null, "x", "A", "API").Outcome);
    }

    private static IEnumerable<string> Ids(MessagesHarness h, MessageQuery query) =>
        h.Store.QueryPage(MessagesHarness.MemberId, query).Items.Select(r => r.ExternalMessageId);
}
