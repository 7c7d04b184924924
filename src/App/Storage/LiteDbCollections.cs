using LiteDB;

namespace LineBridge.Storage;

/// <summary>
/// Creates every LiteDB collection LineBridge uses when the file opens, before any concurrent work starts.
/// </summary>
/// <remarks>
/// LiteDB 5.0.20 creates a collection lazily, on its first write, by taking a page from the file's shared free list.
/// When that happens on one thread while another thread's explicit transaction (the group committer, the deriver of
/// search entries) has freed pages in flight, the engine fails with "empty page must be defined as empty type" and
/// refuses every later transaction. Creating the collections up front, while nothing else runs, removes that race.
/// </remarks>
internal static class LiteDbCollections
{
    /// <summary>The collections of the app's LiteDB file (message store, replies, chats, event inbox, registry).</summary>
    internal static readonly IReadOnlyList<string> All =
    [
        LiteDb.LiteDbMessageStore.MessagesCollection, LiteDb.LiteDbMessageStore.VersionsCollection, LiteDb.LiteDbMessageStore.OutboxCollection,
        LiteDb.LiteDbMessageStore.CountsCollection, LiteDb.LiteDbMessageStore.TextBlocksCollection, LiteDb.LiteDbMessageStore.DeriveCollection,
        LiteDb.LiteDbMessageStore.ReplyDeliveriesCollection, Messages.ChatDirectory.Collection, LiteDb.LiteDbEventInbox.Collection,
        LiteDb.LiteDbPortalRecords.Collection, LiteDb.LiteDbApiKeyRecords.Collection,
        LiteDb.LiteDbLineConnectionRecords.Collection, LiteDb.LiteDbLineWebhookRecords.Collection,
    ];

    private const string Placeholder = "__create";

    /// <summary>Creates each collection in <see cref="All"/> that does not exist yet (a placeholder inserted and removed).</summary>
    internal static void EnsureCreated(LiteDatabase database)
    {
        foreach (var name in All)
        {
            if (database.CollectionExists(name)) continue;
            var collection = database.GetCollection(name);
            collection.Insert(new BsonDocument { ["_id"] = Placeholder });
            collection.Delete(Placeholder);
        }
    }

    /// <summary>
    /// Runs one write (an auto-transaction of LiteDB) while no other write to the same file runs: see
    /// <see cref="DurableLiteDatabase.WriteGate"/>. A database opened any other way runs it as is.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The file was closed (the app is stopping); nothing was written.</exception>
    internal static void Write(LiteDatabase database, Action write)
    {
        if (database is not DurableLiteDatabase durable)
        {
            write();
            return;
        }
        lock (durable.WriteGate)
        {
            durable.ThrowIfClosed();
            write();
        }
    }

    /// <inheritdoc cref="Write(LiteDatabase, Action)"/>
    internal static T Write<T>(LiteDatabase database, Func<T> write)
    {
        if (database is not DurableLiteDatabase durable) return write();
        lock (durable.WriteGate)
        {
            durable.ThrowIfClosed();
            return write();
        }
    }
}
