using LineBridge.Messages;
using LineBridge.Replies;
using LiteDB;

namespace LineBridge.Storage.LiteDb;

/// <summary>Portals in the LiteDB collection <c>portals</c>; lookups by member id are cached (<see cref="LiteDbLookupCache{T}"/>).</summary>
internal sealed class LiteDbPortalRecords(LiteDatabase database) : IPortalRecords
{
    internal const string Collection = "portals";

    private readonly ILiteCollection<PortalStore.PortalDocument> _portals = database.GetCollection<PortalStore.PortalDocument>(Collection);

    private readonly LiteDbLookupCache<PortalStore.PortalDocument> _cache = LiteDbLookupCache<PortalStore.PortalDocument>.For(database, Copy);

    public PortalStore.PortalDocument? Find(string memberId) => _cache.Get(memberId, () => _portals.FindById(memberId));

    public IReadOnlyList<PortalStore.PortalDocument> All() => _portals.FindAll().ToList();

    public void Upsert(PortalStore.PortalDocument document) => _cache.Write(() => LiteDbCollections.Write(database, () => _portals.Upsert(document)));

    private static PortalStore.PortalDocument Copy(PortalStore.PortalDocument d) => new()
    {
        Id = d.Id, Domain = d.Domain, ClientEndpoint = d.ClientEndpoint, ServerEndpoint = d.ServerEndpoint,
        AccessToken = d.AccessToken, RefreshToken = d.RefreshToken, AccessTokenExpiresAt = d.AccessTokenExpiresAt,
        RefreshTokenIssuedAt = d.RefreshTokenIssuedAt, ApplicationToken = d.ApplicationToken, Scopes = d.Scopes,
        Language = d.Language, Status = d.Status, StatusReason = d.StatusReason, InstalledByUserId = d.InstalledByUserId,
        InstalledAt = d.InstalledAt, UpdatedAt = d.UpdatedAt,
    };
}

/// <summary>
/// API keys in the LiteDB collection <c>api_keys</c>, with a unique index on the hash; lookups by hash are cached
/// (<see cref="LiteDbLookupCache{T}"/>: a rotation empties it, so the old key is refused at once).
/// </summary>
internal sealed class LiteDbApiKeyRecords : IApiKeyRecords
{
    internal const string Collection = "api_keys";

    private readonly ILiteCollection<ApiKeyRecord> _keys;

    private readonly LiteDatabase _database;

    private readonly LiteDbLookupCache<ApiKeyRecord> _byHash;

    public LiteDbApiKeyRecords(LiteDatabase database)
    {
        _database = database;
        _keys = database.GetCollection<ApiKeyRecord>(Collection);
        _byHash = LiteDbLookupCache<ApiKeyRecord>.For(database, Copy);
        LiteDbCollections.Write(database, () => _keys.EnsureIndex(x => x.Hash, unique: true));
    }

    public ApiKeyRecord? Find(string memberId) => _keys.FindById(memberId);

    // A parameter, not the value in the expression's text: the text stays one cached expression for every hash.
    public ApiKeyRecord? FindByHash(string hash) =>
        _byHash.Get(hash, () => _keys.FindOne(LiteDbMessageStore.Eq(nameof(ApiKeyRecord.Hash), hash)));

    public void Upsert(ApiKeyRecord record) => _byHash.Write(() => LiteDbCollections.Write(_database, () => _keys.Upsert(record)));

    private static ApiKeyRecord Copy(ApiKeyRecord r) => new() { Id = r.Id, Hash = r.Hash, Hint = r.Hint, CreatedAt = r.CreatedAt };
}

/// <summary>Line states in the LiteDB collection <c>line_connections</c>; lookups by id are cached (<see cref="LiteDbLookupCache{T}"/>).</summary>
internal sealed class LiteDbLineConnectionRecords : ILineConnectionRecords
{
    internal const string Collection = "line_connections";

    private readonly ILiteCollection<LineConnection> _lines;

    private readonly LiteDatabase _database;

    private readonly LiteDbLookupCache<LineConnection> _cache;

    public LiteDbLineConnectionRecords(LiteDatabase database)
    {
        _database = database;
        _lines = database.GetCollection<LineConnection>(Collection);
        _cache = LiteDbLookupCache<LineConnection>.For(database, Copy);
        LiteDbCollections.Write(database, () => _lines.EnsureIndex(x => x.MemberId));
    }

    public LineConnection? Find(string id) => _cache.Get(id, () => _lines.FindById(id));

    private static LineConnection Copy(LineConnection l) => new()
    {
        Id = l.Id, MemberId = l.MemberId, Line = l.Line, State = l.State, ChangedAt = l.ChangedAt,
    };

    public IReadOnlyList<LineConnection> List(string memberId) =>
        // The index ignores case; the exact compare keeps portals whose ids differ only by case apart.
        _lines.Find(Query.EQ(nameof(LineConnection.MemberId), memberId)).Where(l => l.MemberId == memberId).OrderBy(l => l.Line).ToList();

    public void Upsert(LineConnection connection) => _cache.Write(() => LiteDbCollections.Write(_database, () => _lines.Upsert(connection)));
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
