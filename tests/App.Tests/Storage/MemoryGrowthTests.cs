using System.Collections;
using System.Reflection;
using LineBridge.Messages;
using LineBridge.Components.Messages;
using LiteDB;

namespace LineBridge.Storage;

/// <summary>Runs alone: it measures the process's managed heap and LiteDB's process-wide expression cache.</summary>
[CollectionDefinition(nameof(MemoryMeasurements), DisableParallelization = true)]
public sealed class MemoryMeasurements;

/// <summary>
/// Memory stays flat under traffic (issue 15): a lookup or an accept must not leave a compiled query behind.
/// LiteDB keeps every compiled expression for the life of the process, keyed by its text.
/// </summary>
[Collection(nameof(MemoryMeasurements))]
public class MemoryGrowthTests
{
    private static NewMessage New(string id, string chat) =>
        new(MessagesHarness.MemberId, "linebridge", 1, MessagesHarness.Message(id, "text " + id, chat));

    /// <summary>How many compiled expressions LiteDB keeps (its private static caches).</summary>
    private static int CompiledExpressions() =>
        new[] { "_cacheScalar", "_cacheEnumerable" }
            .Select(name => typeof(BsonExpression).GetField(name, BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null) as ICollection
                ?? throw new InvalidOperationException($"LiteDB's expression cache {name} was not found."))
            .Sum(c => c.Count);

    [Fact]
    public async Task Accepts_LeaveNoCompiledQueryBehind()
    {
        using var h = new MessagesHarness();
        await Accept(h, "warm", 50);   // every query shape once
        var before = CompiledExpressions();

        for (var round = 0; round < 10; round++) await Accept(h, $"r{round}", 200);

        // 2,000 accepts (each looks its key up to refuse duplicates): before the fix, one expression (~4 KB) each.
        Assert.InRange(CompiledExpressions() - before, 0, 20);
    }

    [Fact]
    public async Task Lookups_KeepTheHeapFlat()
    {
        using var h = new MessagesHarness();
        var added = await Accept(h, "m", 200);
        Lookups(h, added, "warm");
        var expressionsBefore = CompiledExpressions();
        var heapBefore = Heap();

        for (var round = 0; round < 10; round++) Lookups(h, added, $"r{round}");

        var grown = Heap() - heapBefore;
        // 6,000 lookups by distinct keys, by id and by page: before the fix about 20 MB of compiled queries.
        Assert.InRange(CompiledExpressions() - expressionsBefore, 0, 20);
        Assert.True(grown < 1024 * 1024, $"the managed heap grew by {grown / 1024:N0} KB over 6,000 lookups");
    }

    private static async Task<AddedMessage[]> Accept(MessagesHarness h, string prefix, int count)
    {
        var requests = Enumerable.Range(0, count)
            .Select(i => h.Store.AddAsync([New($"{prefix}-{i}", $"chat-{i % 7}")], "API", "api")).ToList();
        var added = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        return added.Select(a => a[0]).ToArray();
    }

    private static void Lookups(MessagesHarness h, AddedMessage[] added, string missing)
    {
        foreach (var (a, i) in added.Select((a, i) => (a, i)))
        {
            Assert.NotNull(h.Store.FindByExternal(MessagesHarness.MemberId, 1, a.Record.ChatId, a.Record.ExternalMessageId));
            Assert.Null(h.Store.FindByExternal(MessagesHarness.MemberId, 1, "chat-x", $"{missing}-{i}"));
            Assert.Single(h.Store.GetVersions(MessagesHarness.MemberId, a.Record.Id));
        }
        h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, ChatId: "chat-3"));
        h.Store.QueryPage(MessagesHarness.MemberId, new MessageQuery(1, Text: "text"));
    }

    private static long Heap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
