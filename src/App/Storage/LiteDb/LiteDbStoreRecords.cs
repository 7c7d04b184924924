using LineBridge.Messages;
using LineBridge.Replies;
using LiteDB;

namespace LineBridge.Storage.LiteDb;

/// <summary>Portals in the LiteDB collection <c>portals</c>.</summary>
internal sealed class LiteDbPortalRecords(LiteDatabase database) : IPortalRecords
{
    private readonly ILiteCollection<PortalStore.PortalDocument> _portals = database.GetCollection<PortalStore.PortalDocument>("portals");

    public PortalStore.PortalDocument? Find(string memberId) => _portals.FindById(memberId);

    public IReadOnlyList<PortalStore.PortalDocument> All() => _portals.FindAll().ToList();

    public void Upsert(PortalStore.PortalDocument document) => _portals.Upsert(document);
}

/// <summary>API keys in the LiteDB collection <c>api_keys</c>, with a unique index on the hash.</summary>
internal sealed class LiteDbApiKeyRecords : IApiKeyRecords
{
    private readonly ILiteCollection<ApiKeyRecord> _keys;

    public LiteDbApiKeyRecords(LiteDatabase database)
    {
        _keys = database.GetCollection<ApiKeyRecord>("api_keys");
        _keys.EnsureIndex(x => x.Hash, unique: true);
    }

    public ApiKeyRecord? Find(string memberId) => _keys.FindById(memberId);

    public ApiKeyRecord? FindByHash(string hash) => _keys.FindOne(Query.EQ(nameof(ApiKeyRecord.Hash), hash));

    public void Upsert(ApiKeyRecord record) => _keys.Upsert(record);
}

/// <summary>Line states in the LiteDB collection <c>line_connections</c>.</summary>
internal sealed class LiteDbLineConnectionRecords : ILineConnectionRecords
{
    private readonly ILiteCollection<LineConnection> _lines;

    public LiteDbLineConnectionRecords(LiteDatabase database)
    {
        _lines = database.GetCollection<LineConnection>("line_connections");
        _lines.EnsureIndex(x => x.MemberId);
    }

    public LineConnection? Find(string id) => _lines.FindById(id);

    public IReadOnlyList<LineConnection> List(string memberId) =>
        // The index ignores case; the exact compare keeps portals whose ids differ only by case apart.
        _lines.Find(Query.EQ(nameof(LineConnection.MemberId), memberId)).Where(l => l.MemberId == memberId).OrderBy(l => l.Line).ToList();

    public void Upsert(LineConnection connection) => _lines.Upsert(connection);
}

/// <summary>Webhooks in the LiteDB collection <c>line_webhooks</c>.</summary>
internal sealed class LiteDbLineWebhookRecords(LiteDatabase database) : ILineWebhookRecords
{
    private readonly ILiteCollection<LineWebhookRecord> _webhooks = database.GetCollection<LineWebhookRecord>("line_webhooks");

    public LineWebhookRecord? Find(string id) => _webhooks.FindById(id);

    public void Upsert(LineWebhookRecord record) => _webhooks.Upsert(record);
}
