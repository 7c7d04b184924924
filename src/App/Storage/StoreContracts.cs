using LineBridge.Messages;
using LineBridge.Replies;

namespace LineBridge.Storage;

// The persistence contracts of the small stores. The classes callers use (PortalStore, ApiKeys, LineConnections,
// LineWebhookStore) keep their rules (encryption, hashing, keys); each contract below only keeps records, with one
// implementation per provider (LiteDb/, PostgreSql/) and one contract test suite that runs against both.

/// <summary>Portal records by <c>member_id</c>; secrets arrive already encrypted.</summary>
internal interface IPortalRecords
{
    /// <summary>The record with this exact member id, or null.</summary>
    PortalStore.PortalDocument? Find(string memberId);

    /// <summary>Every portal record, in no particular order.</summary>
    IReadOnlyList<PortalStore.PortalDocument> All();

    /// <summary>Inserts the record or replaces the one with the same id.</summary>
    void Upsert(PortalStore.PortalDocument document);
}

/// <summary>API key records: one per portal (<see cref="ApiKeyRecord.Id"/> = member id), unique by hash.</summary>
internal interface IApiKeyRecords
{
    ApiKeyRecord? Find(string memberId);

    /// <summary>The record whose <see cref="ApiKeyRecord.Hash"/> equals <paramref name="hash"/>, or null.</summary>
    ApiKeyRecord? FindByHash(string hash);

    /// <summary>Inserts or replaces the portal's key (its old hash stops matching).</summary>
    void Upsert(ApiKeyRecord record);
}

/// <summary>The connector's state per line, keyed by <see cref="LineConnection.Id"/>.</summary>
internal interface ILineConnectionRecords
{
    LineConnection? Find(string id);

    /// <summary>The portal's lines, ordered by line number.</summary>
    IReadOnlyList<LineConnection> List(string memberId);

    void Upsert(LineConnection connection);
}

/// <summary>Webhook records per line, keyed by <see cref="LineWebhookRecord.Id"/>; secrets arrive encrypted.</summary>
internal interface ILineWebhookRecords
{
    LineWebhookRecord? Find(string id);

    void Upsert(LineWebhookRecord record);
}

/// <summary>The chat-name directory's records (<see cref="ChatDirectory"/>), keyed by <see cref="ChatDirectory.ChatRecord.Id"/>.</summary>
public interface IChatRecords
{
    /// <summary>The line's chats, in no particular order.</summary>
    IReadOnlyList<ChatDirectory.ChatRecord> List(string memberId, int line);

    /// <summary>Inserts or replaces each record (same id: the chat's name changed).</summary>
    void Upsert(IReadOnlyList<ChatDirectory.ChatRecord> records);
}
