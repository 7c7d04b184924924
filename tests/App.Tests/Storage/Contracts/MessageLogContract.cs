using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LiteDB;

namespace LineBridge.Storage.Contracts;

/// <summary>Messages for the message store contracts.</summary>
internal static class Sample
{
    public const string MemberId = "member-a";

    public static NewMessage Message(string id, string text = "hello", string chat = "chat-1", int line = 1, string memberId = MemberId) =>
        new(memberId, "linebridge", line, new ConnectorMessage(
            new ConnectorUser { Id = "user-1", Name = "Ann" },
            new ConnectorMessageBody { Id = id, Text = text },
            new ConnectorChat { Id = chat, Name = "Chat " + chat }));

    /// <summary>Claims everything and settles it as the portal would have answered.</summary>
    public static IReadOnlyList<MessageRecord> Deliver(MessageStore store, bool success = true, string answer = "SUCCESS") =>
        store.Outbox.Complete(store.Outbox.Claim(1000).Select(i => new OutboxCompletion(i, success, answer)).ToList());
}

/// <summary>What every provider's message log (<see cref="IMessageLogStore"/>) must do.</summary>
public abstract class MessageLogContract(StorageProvider provider)
{
    [Fact]
    public async Task Add_RecordsEachMessageOnce_AndTheSameIdAgainIsADuplicateWithTheFirstRecord_CaseMatters()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();

        var first = store.Add([Sample.Message("m1", "first")], "API", "API");
        var again = store.Add([Sample.Message("m1", "second"), Sample.Message("M1", "other case"), Sample.Message("m1", "third", chat: "chat-2")], "API", "API");

        Assert.False(first[0].Duplicate);
        Assert.True(again[0].Duplicate);
        Assert.Equal(first[0].Record.Id, again[0].Record.Id);
        Assert.Equal("first", again[0].Record.Text);
        Assert.False(again[1].Duplicate);
        Assert.False(again[2].Duplicate);
        Assert.Equal(3, store.CountPending(Sample.MemberId, 1));
        var stored = store.FindByExternal(Sample.MemberId, 1, "chat-1", "m1")!;
        Assert.Equal(MessageStatus.Queued, stored.Status);
        Assert.Equal("Ann", stored.ExternalUserName);
        Assert.Null(store.FindByExternal(Sample.MemberId, 1, "CHAT-1", "m1"));
        Assert.Equal("user-1", MessageStore.DeserializePayload(stored.Payload).User.Id);
    }

    [Fact]
    public async Task AddAsync_ConcurrentRequests_AreEachRecordedOnce_AndAMessageTheyShareOnlyOnce()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();

        var requests = Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            store.AddAsync([Sample.Message($"own-{i}"), Sample.Message("shared")], "API", "API"))).ToList();
        var results = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.False(r[0].Duplicate));
        Assert.Equal(1, results.Count(r => !r[1].Duplicate));
        Assert.Single(results.Select(r => r[1].Record.Id).Distinct());
        Assert.Equal(21, store.CountPending(Sample.MemberId, 1));
    }

    [Fact]
    public async Task Change_KeepsEveryVersion_RefusesAStaleVersion_AndNothingChangesAfterADelete()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var id = store.Add([Sample.Message("m1", "v1")], "API", "API")[0].Record.Id;

        var edited = store.Change(Sample.MemberId, id, ChangeKind.Edit, expectedVersion: 1, "v2", "Ann", "portal user 7");
        var stale = store.Change(Sample.MemberId, id, ChangeKind.Edit, expectedVersion: 1, "v3", "API", "API");
        var deleted = store.Change(Sample.MemberId, id, ChangeKind.Delete, expectedVersion: null, null, "API", "API");
        var afterDelete = store.Change(Sample.MemberId, id, ChangeKind.Edit, expectedVersion: null, "v4", "API", "API");
        var otherPortal = store.Change("member-b", id, ChangeKind.Edit, expectedVersion: null, "x", "API", "API");

        Assert.Equal(ChangeOutcome.Accepted, edited.Outcome);
        Assert.Equal(2, edited.Message!.Version);
        Assert.Equal(ChangeOutcome.Conflict, stale.Outcome);
        Assert.Equal(ChangeOutcome.Accepted, deleted.Outcome);
        Assert.Equal(ChangeOutcome.Rejected, afterDelete.Outcome);
        Assert.Equal(ChangeOutcome.NotFound, otherPortal.Outcome);
        var versions = store.GetVersions(Sample.MemberId, id);
        Assert.Equal([1, 2, 3], versions.Select(v => v.Version));
        Assert.Equal([ChangeKind.Send, ChangeKind.Edit, ChangeKind.Delete], versions.Select(v => v.Kind));
        Assert.Equal(["v1", "v2", ""], versions.Select(v => v.NewText));
        Assert.Equal("v1", versions[1].OldText);
        Assert.Equal(("Ann", "portal user 7"), (versions[1].ChangedBy, versions[1].Source));
        Assert.Empty(store.GetVersions("member-b", id));
        var record = store.Get(Sample.MemberId, id)!;
        Assert.True(record.DeleteRequested);
        Assert.Equal(3, record.Version);
        Assert.Equal("v2", record.Text);
        Assert.Null(store.Get("member-b", id));
        Assert.Equal(3, store.CountPending(Sample.MemberId, 1));
    }

    [Fact]
    public async Task EditMany_WritesEachEditWithItsOwnOutcome()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var added = store.Add([Sample.Message("m1", "a"), Sample.Message("m2", "b")], "API", "API");

        var results = store.EditMany(Sample.MemberId,
            [(added[0].Record.Id, 1, "a2"), (added[1].Record.Id, 5, "b2"), (ObjectId.NewObjectId(), null, "c")], "Ann", "UI");

        Assert.Equal([ChangeOutcome.Accepted, ChangeOutcome.Conflict, ChangeOutcome.NotFound], results.Select(r => r.Outcome));
        Assert.Equal("a2", store.Get(Sample.MemberId, added[0].Record.Id)!.Text);
        Assert.Equal("b", store.Get(Sample.MemberId, added[1].Record.Id)!.Text);
    }

    [Fact]
    public async Task Retry_QueuesAFailedSendAgain_AfterADeleteOfItsId_AndOnlyWhileItHasFailed()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var id = store.Add([Sample.Message("m1", "hi")], "API", "API")[0].Record.Id;
        Sample.Deliver(store, success: false, answer: "CHAT_NOT_FOUND");
        Assert.Equal(MessageStatus.Failed, store.Get(Sample.MemberId, id)!.Status);
        Assert.Equal(ChangeOutcome.Rejected, store.Change(Sample.MemberId, id, ChangeKind.Edit, null, "x", "API", "API").Outcome);

        var retried = store.Retry(Sample.MemberId, id, "Ann");
        var again = store.Retry(Sample.MemberId, id, "Ann");

        Assert.Equal(ChangeOutcome.Accepted, retried.Outcome);
        Assert.Equal(ChangeOutcome.Rejected, again.Outcome);
        var item = Assert.Single(store.Outbox.Claim(10));
        Assert.Equal((ChangeKind.Send, true, "hi"), (item.Kind, item.DeleteFirst, item.Text));
        Assert.Equal(MessageStatus.Queued, store.GetVersions(Sample.MemberId, id)[0].Status);
        Assert.Equal(ChangeOutcome.NotFound, store.Retry("member-b", id, "Ann").Outcome);
    }

    [Fact]
    public async Task Ids_RoundTripThroughTheirHexForm_AsTheUiUsesThem()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var id = store.Add([Sample.Message("m1")], "API", "API")[0].Record.Id;

        var read = store.Get(Sample.MemberId, new ObjectId(id.ToString()))!;

        Assert.Equal(id, read.Id);
        Assert.Equal(id, store.GetById(id)!.Id);
        Assert.Null(store.GetById(ObjectId.NewObjectId()));
        Assert.Equal(id, store.GetVersions(Sample.MemberId, id)[0].MessageId);
    }

    [Fact]
    public async Task GetByIds_GivesOneEntryPerIdInTheOrderGiven_NullWhereThereIsNone()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = backend.Messages();
        var a = store.Add([Sample.Message("a")], "API", "API")[0].Record.Id;
        var b = store.Add([Sample.Message("b", memberId: "member-b")], "API", "API")[0].Record.Id;
        var missing = ObjectId.NewObjectId();

        var read = store.Log.GetByIds([b, missing, a, b]);

        Assert.Equal([b, null, a, b], read.Select(r => r?.Id));
        Assert.Equal("member-b", read[0]!.MemberId);
        Assert.Empty(store.Log.GetByIds([]));
    }
}

public sealed class MessageLogOnLiteDb() : MessageLogContract(StorageProvider.LiteDb);

public sealed class MessageLogOnPostgreSql() : MessageLogContract(StorageProvider.PostgreSql);
