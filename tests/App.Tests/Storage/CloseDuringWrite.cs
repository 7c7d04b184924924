using LiteDB;

namespace LineBridge.Storage;

/// <summary>
/// Closes a LiteDB file while a write holds its write gate: the write (a document <c>in-progress</c> in the API-key
/// collection) waits inside the gate until the close has been asked for, then lands. The durability and contract tests
/// use it to prove a close waits for the write in progress.
/// </summary>
internal static class CloseDuringWrite
{
    /// <summary>The collection the held write goes to.</summary>
    public static ILiteCollection<BsonDocument> Collection(LiteDatabase db) => db.GetCollection(LiteDb.LiteDbApiKeyRecords.Collection);

    /// <summary>Holds a write in the gate, runs <paramref name="close"/> beside it, lets the write go, and waits for both.</summary>
    public static async Task RunAsync(LiteDatabase db, Func<Task> close, CancellationToken ct)
    {
        var collection = Collection(db);
        using var writing = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var write = Task.Run(() => LiteDbCollections.Write(db, () =>
        {
            writing.Release();
            release.Wait(ct);
            collection.Insert(new BsonDocument { ["_id"] = "in-progress" });
        }), ct);
        await writing.WaitAsync(ct);
        using var closing = new SemaphoreSlim(0);
        var closed = Task.Run(async () =>
        {
            closing.Release();
            await close();
        }, ct);
        await closing.WaitAsync(ct);
        release.Release();

        await write;   // the close waited for it: it was not cut off by a closed engine
        await closed;
    }
}
