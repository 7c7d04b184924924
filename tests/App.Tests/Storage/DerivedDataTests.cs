using LineBridge.Infrastructure;
using LineBridge.Components.Messages;
using LineBridge.Messages;

namespace LineBridge.Storage;

/// <summary>
/// An accept writes the message, its version and its outbox item; the line's search entry and counters follow from
/// the derive queue in batches (issue 15). Readers of totals and search never see them behind.
/// </summary>
public class DerivedDataTests
{
    private static NewMessage New(string id, string chat) =>
        new(MessagesHarness.MemberId, "linebridge", 1, MessagesHarness.Message(id, "derived " + id, chat));

    private static long Counter(MessagesHarness h, byte[] prefix) =>
        h.Db.GetCollection(LiteDb.LiteDbMessageStore.CountsCollection).FindById(MessageKeys.CounterId(prefix))?["n"].AsInt64 ?? 0;

    /// <summary>Waits (bounded) until the deriver has caught up by itself: no read triggers it here.</summary>
    private static Task WaitDerived(MessagesHarness h) =>
        SandboxedApp.WaitUntilAsync(() => h.Store.PendingDerivations == 0, "the deriver caught up",
            seen: () => $"{h.Store.PendingDerivations} messages still not derived");

    [Fact]
    public async Task Counters_AndSearchEntries_FollowTheAccepts_WithoutAnyRead()
    {
        using var h = new MessagesHarness();
        var requests = Enumerable.Range(0, 300).Select(i => h.Store.AddAsync([New($"m{i}", $"chat-{i % 3}")], "API", "api"));
        var added = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        await WaitDerived(h);

        Assert.Equal(300, Counter(h, MessageKeys.Line(MessagesHarness.MemberId, 1)));
        Assert.Equal(100, Counter(h, MessageKeys.Chat(MessagesHarness.MemberId, 1, "chat-2")));
        Assert.Equal(300, Counter(h, MessageKeys.Status(MessagesHarness.MemberId, 1, MessageStatus.Queued)));
        Assert.All(added, a => Assert.True(h.Store.Get(MessagesHarness.MemberId, a[0].Record.Id)!.SearchBlock >= 0));
        Assert.Empty(h.Db.GetCollection(LiteDb.LiteDbMessageStore.DeriveCollection).FindAll());
    }

    [Fact]
    public async Task StatusChanges_BeforeAndAfterDerivation_AreCountedOnce_UnderTheCurrentStatus()
    {
        using var h = new MessagesHarness();
        h.Lines.MarkConnected(MessagesHarness.MemberId, 1);
        var sent = h.Service.Send(MessagesHarness.MemberId, 1,
            Enumerable.Range(0, 40).Select(i => MessagesHarness.Message($"m{i}", "derived " + i)).ToArray(), ChangeAuthor.Api);
        await h.DrainAsync();                      // delivered: Queued -> Sent, whether derived by then or not
        h.Service.Edit(MessagesHarness.MemberId, sent[0].Record.Id, null, "edited text", ChangeAuthor.Api);   // Sent -> Queued
        await WaitDerived(h);

        Assert.Equal(40, Counter(h, MessageKeys.Line(MessagesHarness.MemberId, 1)));
        Assert.Equal(39, Counter(h, MessageKeys.Status(MessagesHarness.MemberId, 1, MessageStatus.Sent)));
        Assert.Equal(1, Counter(h, MessageKeys.Status(MessagesHarness.MemberId, 1, MessageStatus.Queued)));
        var found = h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "edited"));
        Assert.Equal(sent[0].Record.Id, Assert.Single(found.Items).Id);
    }

    [Fact]
    public void Reads_OfTotalsAndSearch_IncludeEveryAcceptedMessage_AtOnce()
    {
        using var h = new MessagesHarness();
        h.Store.Add(Enumerable.Range(0, 50).Select(i => New($"m{i}", "chat-1")).ToList(), "API", "api");

        // No waiting: the read derives what is left before it counts.
        Assert.Equal(50, h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1)).Total);
        Assert.Equal(50, h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "derived")).Total);
    }

    [Fact]
    public void WorkLeftByAStoppedProcess_IsDerivedAfterRestart()
    {
        using var h = new MessagesHarness();
        h.Store.Add([New("m1", "chat-1")], "API", "api");
        // As if the process had stopped before deriving: put the message back in the queue, undone.
        var record = h.Store.Get(MessagesHarness.MemberId, h.Store.FindByExternal(MessagesHarness.MemberId, 1, "chat-1", "m1")!.Id)!;
        h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1));   // derived now
        var counts = h.Db.GetCollection(LiteDb.LiteDbMessageStore.CountsCollection);
        foreach (var doc in counts.FindAll().ToList()) counts.Delete(doc["_id"]);
        record.SearchBlock = LiteDb.LiteDbMessageStore.NotYetDerived;
        h.Db.GetCollection<MessageRecord>(LiteDb.LiteDbMessageStore.MessagesCollection).Update(record);
        h.Db.GetCollection<LiteDb.PendingDerivation>(LiteDb.LiteDbMessageStore.DeriveCollection).Insert(new LiteDb.PendingDerivation { MessageId = record.Id });

        h.Restart();

        Assert.Equal(1, h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1)).Total);
        Assert.Equal(0, h.Store.PendingDerivations);
    }
}
