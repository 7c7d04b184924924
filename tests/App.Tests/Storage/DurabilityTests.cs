using System.Diagnostics;
using LineBridge.Infrastructure;
using LineBridge.Messages;

namespace LineBridge.Storage;

/// <summary>
/// "Durable before acknowledged" (issue 15): an accept is answered only after the log holding it is flushed to the
/// disk, with one flush per (group) commit rather than one per page.
/// </summary>
public class DurabilityTests
{
    private static NewMessage New(string id) =>
        new(MessagesHarness.MemberId, "linebridge", 1, MessagesHarness.Message(id, "text " + id));

    [Fact]
    public async Task AddAsync_IsNotAnswered_UntilTheLogFlushHasFinished()
    {
        using var h = new MessagesHarness();
        using var release = new ManualResetEventSlim();
        var flushStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Db.BeforeLogSync = () =>
        {
            flushStarted.TrySetResult();
            release.Wait(TestContext.Current.CancellationToken);
        };
        try
        {
            var accept = h.Store.AddAsync([New("m1")], "API", "api");
            await flushStarted.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            // The flush held first may be a late background one (of the file's opening writes, or of the commit's first
            // pages while it is still being written): every later flush waits behind it, so wait for the commit itself.
            await SandboxedApp.WaitUntilAsync(() => h.Store.FindByExternal(MessagesHarness.MemberId, 1, "chat-1", "m1") is not null,
                "m1 is committed (LiteDB shows it)");
            // The message is written but no flush has finished: the caller must not have its answer yet.
            Assert.False(accept.IsCompleted);

            release.Set();
            var added = await accept.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.False(added[0].Duplicate);
        }
        finally
        {
            // A failed assertion must not leave a flush blocked: closing the file waits for it, and the test process hung.
            release.Set();
        }
    }

    [Fact]
    public async Task AddAsync_FailsAndIsNeverAccepted_WhenTheFlushFails()
    {
        using var h = new MessagesHarness();
        // Quiet first: opening the file writes (its collections are created then), and the late background flush of
        // those writes would otherwise meet the fault before this add does and be the failure reported.
        h.Db.WaitDurable();
        var injected = new IOException("injected: the disk refused the flush");
        h.Db.BeforeLogSync = () => throw injected;

        var accept = h.Store.AddAsync([New("m1")], "API", "api");

        var error = await Assert.ThrowsAsync<IOException>(() => accept.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        // Exactly this fault refused the add. Which flush of its pages met it first is timing: the commit's own ("could
        // not be flushed") or, on a busy machine, the late background flush a moment before it ("an earlier flush").
        Assert.Same(injected, error.InnerException);
        Assert.Contains(error.Message, new[]
        {
            "The database log could not be flushed to the disk.",
            "An earlier flush of the database log failed; restart LineBridge.",
        });
        // After a failed flush nothing can be called durable: later writes are refused, not acknowledged.
        h.Db.BeforeLogSync = null;
        Assert.Throws<IOException>(() => h.Store.Add([New("m2")], "API", "api"));
        await Assert.ThrowsAsync<IOException>(() => h.Store.AddAsync([New("m3")], "API", "api")
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Add_FailsWhenTheFlushFails_AndTheServiceDoesNotAnnounceIt()
    {
        using var h = new MessagesHarness();
        h.Lines.MarkConnected(MessagesHarness.MemberId, 1);
        var announced = 0;
        using var subscription = h.Updates.Subscribe(MessagesHarness.MemberId, _ => { announced++; return Task.CompletedTask; });
        h.Db.BeforeLogSync = () => throw new IOException("injected");

        Assert.Throws<IOException>(() => h.Service.Send(MessagesHarness.MemberId, 1, [MessagesHarness.Message("m1")], ChangeAuthor.Api));
        Assert.Equal(0, announced);
    }

    [Fact]
    public void Add_FlushesTheLogOncePerCommit_NotOncePerPage()
    {
        using var h = new MessagesHarness();
        h.Send(MessagesHarness.Message("warm"));
        var log = new FileInfo(DurableLiteDatabase.LogPath(Path.Combine(h.Folder, "test.db")));
        // The commit's own flush runs on the caller's thread; the late background flush (for writers that do not wait,
        // such as the deriver of search entries) on a timer's.
        var caller = Environment.CurrentManagedThreadId;
        int own = 0, background = 0;
        h.Db.BeforeLogSync = () =>
        {
            if (Environment.CurrentManagedThreadId == caller) own++;
            else Interlocked.Increment(ref background);
        };
        var lengthBefore = log.Exists ? log.Length : 0;
        var clock = Stopwatch.StartNew();

        h.Store.Add(Enumerable.Range(0, 100).Select(i => New($"m{i}")).ToList(), "API", "api");

        clock.Stop();
        h.Db.BeforeLogSync = null;
        log.Refresh();
        var pages = (log.Length - lengthBefore) / 8192;
        Assert.True(pages >= 20, $"the commit wrote {pages} log pages");
        // One flush for the commit (none of its own if the background flush got to its pages first), never one per
        // page; background flushes come at most once per BackgroundSyncDelay however many pages are written. How many
        // of those fall inside the commit depends on how busy the machine is, so that is the bound, not a count.
        Assert.InRange(own, 0, 1);
        Assert.True(own + background >= 1, "nothing flushed the commit");
        var backgroundBound = 1 + (int)(clock.Elapsed / DurableLiteDatabase.BackgroundSyncDelay);
        Assert.True(background <= backgroundBound, $"{background} background flushes in {clock.ElapsedMilliseconds} ms ({pages} pages)");
    }

    [Fact]
    public async Task AddAsync_AnswersEveryCaller_WhileOthersKeepArriving()
    {
        // Before the dedicated committer, the caller that found no commit under way committed for everyone until the
        // queue ran dry, so with steady traffic it never got its own answer.
        using var h = new MessagesHarness();
        using var stop = new CancellationTokenSource();
        var done = new int[6];
        var producers = Enumerable.Range(0, done.Length).Select(p => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                await h.Store.AddAsync([New($"p{p}-{n}")], "API", "api");
                Interlocked.Increment(ref done[p]);
            }
        })).ToList();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (done.Any(d => d < 5))
            {
                Assert.True(DateTime.UtcNow < deadline, $"answers per caller: {string.Join(", ", done)}");
                await Task.WhenAny(producers.Append(Task.Delay(20, TestContext.Current.CancellationToken)));
                Assert.DoesNotContain(producers, p => p.IsFaulted);
            }
        }
        finally
        {
            stop.Cancel();
        }
        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Closing_CheckpointsTheLog_AndRemovesIt_AndAPlainLiteDbOpenReadsTheFile()
    {
        var folder = Path.Combine(Path.GetTempPath(), "linebridge-durable-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "x.db");
            using (var db = DurableLiteDatabase.Open(path))
            {
                var store = new MessageStore(db, TimeProvider.System);
                store.Add([New("m1")], "API", "api");
                Assert.Equal(1, store.QueryPage(MessagesHarness.MemberId, new Components.Messages.MessageQuery(1)).Total);
                Assert.True(File.Exists(DurableLiteDatabase.LogPath(path)));
            }
            Assert.False(File.Exists(DurableLiteDatabase.LogPath(path)));
            using var plain = new LiteDB.LiteDatabase($"Filename={path};Connection=direct");
            Assert.Equal(1, plain.GetCollection(LiteDb.LiteDbMessageStore.MessagesCollection).Count());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task AWriteAfterTheFileClosed_IsRefusedBeforeItReachesLiteDb_AndACloseWaitsForTheWriteInProgress()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.Combine(Path.GetTempPath(), "linebridge-durable-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "x.db");
            var db = DurableLiteDatabase.Open(path);
            var store = new MessageStore(db, TimeProvider.System);
            var collection = CloseDuringWrite.Collection(db);
            // A write holds the gate while the file is asked to close: the close must wait for it, so the write lands
            // (a write transaction left open in a closed engine is finalized later, and its failing rollback ends the
            // process).
            await CloseDuringWrite.RunAsync(db, () => { db.Dispose(); return Task.CompletedTask; }, ct);

            Assert.Throws<ObjectDisposedException>(() => LiteDbCollections.Write(db, () => collection.Insert(new LiteDB.BsonDocument { ["_id"] = "late" })));
            Assert.Throws<ObjectDisposedException>(() => store.Add([New("late")], "API", "api"));
            using var plain = new LiteDB.LiteDatabase($"Filename={path};Connection=direct");
            Assert.NotNull(plain.GetCollection(LiteDb.LiteDbApiKeyRecords.Collection).FindById("in-progress"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AcceptedMessages_SurviveReopeningTheFile()
    {
        using var h = new MessagesHarness();
        h.Store.Add([New("m1"), New("m2")], "API", "api");
        h.Restart();
        Assert.NotNull(h.Store.FindByExternal(MessagesHarness.MemberId, 1, "chat-1", "m2"));
        Assert.Equal(2, h.Store.LoadOutbox(10).Count);
    }
}
