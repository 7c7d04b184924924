using LineBridge.Messages;
using LineBridge.Replies;
using LiteDB;

namespace LineBridge.Storage.LiteDb;

/// <summary>Portals in the LiteDB collection <c>portals</c>.</summary>
internal sealed class LiteDbPortalRecords(LiteDatabase database) : IPortalRecords
{
    internal const string Collection = "portals";

    private readonly ILiteCollection<PortalStore.PortalDocument> _portals = database.GetCollection<PortalStore.PortalDocument>(Collection);

    public PortalStore.PortalDocument? Find(string memberId) => _portals.FindById(memberId);

    public IReadOnlyList<PortalStore.PortalDocument> All() => _portals.FindAll().ToList();

    public void Upsert(PortalStore.PortalDocument document) => LiteDbCollections.Write(database, () => _portals.Upsert(document));
}

/// <summary>API keys in the LiteDB collection <c>api_keys</c>, with a unique index on the hash.</summary>
internal sealed class LiteDbApiKeyRecords : IApiKeyRecords
{
    internal const string Collection = "api_keys";

    private readonly ILiteCollection<ApiKeyRecord> _keys;

    private readonly LiteDatabase _database;

    public LiteDbApiKeyRecords(LiteDatabase database)
    {
        _database = database;
        _keys = database.GetCollection<ApiKeyRecord>(Collection);
        LiteDbCollections.Write(database, () => _keys.EnsureIndex(x => x.Hash, unique: true));
    }

    public ApiKeyRecord? Find(string memberId) => _keys.FindById(memberId);

    public ApiKeyRecord? FindByHash(string hash) => _keys.FindOne(Query.EQ(nameof(ApiKeyRecord.Hash), hash));

    public void Upsert(ApiKeyRecord record) => LiteDbCollections.Write(_database, () => _keys.Upsert(record));
}

/// <summary>Line states in the LiteDB collection <c>line_connections</c>.</summary>
internal sealed class LiteDbLineConnectionRecords : ILineConnectionRecords
{
    internal const string Collection = "line_connections";

    private readonly ILiteCollection<LineConnection> _lines;

    private readonly LiteDatabase _database;

    public LiteDbLineConnectionRecords(LiteDatabase database)
    {
        _database = database;
        _lines = database.GetCollection<LineConnection>(Collection);
        LiteDbCollections.Write(database, () => _lines.EnsureIndex(x => x.MemberId));
    }

    public LineConnection? Find(string id) => _lines.FindById(id);

    public IReadOnlyList<LineConnection> List(string memberId) =>
        // The index ignores case; the exact compare keeps portals whose ids differ only by case apart.
        _lines.Find(Query.EQ(nameof(LineConnection.MemberId), memberId)).Where(l => l.MemberId == memberId).OrderBy(l => l.Line).ToList();

    public void Upsert(LineConnection connection) => LiteDbCollections.Write(_database, () => _lines.Upsert(connection));
}

/// <summary>Webhooks in the LiteDB collection <c>line_webhooks</c>.</summary>
internal sealed class LiteDbLineWebhookRecords(LiteDatabase database) : ILineWebhookRecords
{
    internal const string Collection = "line_webhooks";

    private readonly ILiteCollection<LineWebhookRecord> _webhooks = database.GetCollection<LineWebhookRecord>(Collection);

    public LineWebhookRecord? Find(string id) => _webhooks.FindById(id);

    public void Upsert(LineWebhookRecord record) => LiteDbCollections.Write(database, () => _webhooks.Upsert(record));
}

/// <summary>Chats in the LiteDB collection <c>chats</c>.</summary>
public sealed class LiteDbChatRecords(LiteDatabase database) : IChatRecords
{
    internal const string Collection = "chats";

    private readonly ILiteCollection<ChatDirectory.ChatRecord> _chats = database.GetCollection<ChatDirectory.ChatRecord>(Collection);

    public IReadOnlyList<ChatDirectory.ChatRecord> List(string memberId, int line) =>
        _chats.Find(c => c.MemberId == memberId && c.Line == line).ToList();

    public void Upsert(IReadOnlyList<ChatDirectory.ChatRecord> records) => LiteDbCollections.Write(database, () => _chats.Upsert(records));
}
