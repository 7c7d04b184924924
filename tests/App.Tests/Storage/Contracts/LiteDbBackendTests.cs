namespace LineBridge.Storage.Contracts;

/// <summary>
/// The LiteDB backend of the contract tests closes as the app's database does (issue 12). Its message store's
/// workers (committer, deriver of search entries) write on their own and may still be writing when a test ends; a
/// plain in-memory database closed its engine under them, LiteDB left that write transaction open, and its rollback
/// on the finalizer thread ("discarded page must be writable") later ended the test process in an unrelated test.
/// </summary>
public class LiteDbBackendTests
{
    [Fact]
    public async Task Closing_WaitsForTheWriteInProgress_AndRefusesTheStoresWritesBeforeTheyReachLiteDb()
    {
        var ct = TestContext.Current.CancellationToken;
        var backend = await StoreBackend.OpenAsync(StorageProvider.LiteDb);
        var db = backend.LiteDb!;
        var store = backend.Messages();
        store.Add([Sample.Message("m1")], "API", "api");   // also queues a derivation, which the deriver writes on its own
        var collection = CloseDuringWrite.Collection(db);

        await CloseDuringWrite.RunAsync(db, () => backend.DisposeAsync().AsTask(), ct);

        // A worker that runs after the close (as the deriver may) is refused before it opens a LiteDB transaction.
        Assert.Throws<ObjectDisposedException>(() => LiteDbCollections.Write(db, () => collection.Insert(new LiteDB.BsonDocument { ["_id"] = "late" })));
        Assert.Throws<ObjectDisposedException>(() => store.Add([Sample.Message("late")], "API", "api"));
    }
}
