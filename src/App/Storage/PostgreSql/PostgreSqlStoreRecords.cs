using Dapper;
using LineBridge.Messages;
using LineBridge.Replies;

namespace LineBridge.Storage.PostgreSql;

// Dapper maps rows by column alias to the shared record types; timestamps are timestamptz (UTC instants), enums text.

/// <summary>Portals in the table <c>portals</c>.</summary>
internal sealed class PostgreSqlPortalRecords(PostgreSqlDatabase database) : IPortalRecords
{
    private const string Select = """
        SELECT member_id AS Id, domain AS Domain, client_endpoint AS ClientEndpoint, server_endpoint AS ServerEndpoint,
               access_token AS AccessToken, refresh_token AS RefreshToken, access_token_expires_at AS AccessTokenExpiresAt,
               refresh_token_issued_at AS RefreshTokenIssuedAt, application_token AS ApplicationToken, scopes AS Scopes, language AS Language, status AS Status,
               status_reason AS StatusReason, installed_by_user_id AS InstalledByUserId, installed_at AS InstalledAt,
               updated_at AS UpdatedAt
        FROM portals
        """;

    public PortalStore.PortalDocument? Find(string memberId)
    {
        using var connection = database.Open();
        return connection.Query<Row>(Select + " WHERE member_id = @memberId", new { memberId }).Select(ToDocument).SingleOrDefault();
    }

    public IReadOnlyList<PortalStore.PortalDocument> All()
    {
        using var connection = database.Open();
        return connection.Query<Row>(Select + " ORDER BY member_id").Select(ToDocument).ToList();
    }

    public void Upsert(PortalStore.PortalDocument d)
    {
        using var connection = database.Open();
        connection.Execute("""
            INSERT INTO portals (member_id, domain, client_endpoint, server_endpoint, access_token, refresh_token,
                access_token_expires_at, refresh_token_issued_at, application_token, scopes, language, status, status_reason, installed_by_user_id,
                installed_at, updated_at)
            VALUES (@Id, @Domain, @ClientEndpoint, @ServerEndpoint, @AccessToken, @RefreshToken, @AccessTokenExpiresAt, @RefreshTokenIssuedAt,
                @ApplicationToken, @Scopes, @Language, @Status, @StatusReason, @InstalledByUserId, @InstalledAt, @UpdatedAt)
            ON CONFLICT (member_id) DO UPDATE SET domain = excluded.domain, client_endpoint = excluded.client_endpoint,
                server_endpoint = excluded.server_endpoint, access_token = excluded.access_token,
                refresh_token = excluded.refresh_token, access_token_expires_at = excluded.access_token_expires_at,
                refresh_token_issued_at = excluded.refresh_token_issued_at,
                application_token = excluded.application_token, scopes = excluded.scopes, language = excluded.language,
                status = excluded.status, status_reason = excluded.status_reason,
                installed_by_user_id = excluded.installed_by_user_id, installed_at = excluded.installed_at,
                updated_at = excluded.updated_at
            """, new
        {
            d.Id, d.Domain, d.ClientEndpoint, d.ServerEndpoint, d.AccessToken, d.RefreshToken,
            AccessTokenExpiresAt = d.AccessTokenExpiresAt?.UtcDateTime,
            RefreshTokenIssuedAt = d.RefreshTokenIssuedAt?.UtcDateTime, d.ApplicationToken, d.Scopes, d.Language,
            Status = d.Status.ToString(), d.StatusReason, d.InstalledByUserId,
            InstalledAt = d.InstalledAt.UtcDateTime, UpdatedAt = d.UpdatedAt.UtcDateTime,
        });
    }

    private static PortalStore.PortalDocument ToDocument(Row r) => new()
    {
        Id = r.Id, Domain = r.Domain, ClientEndpoint = r.ClientEndpoint, ServerEndpoint = r.ServerEndpoint,
        AccessToken = r.AccessToken, RefreshToken = r.RefreshToken,
        AccessTokenExpiresAt = r.AccessTokenExpiresAt is { } expires ? Instant(expires) : null,
        RefreshTokenIssuedAt = r.RefreshTokenIssuedAt is { } issued ? Instant(issued) : null,
        ApplicationToken = r.ApplicationToken, Scopes = r.Scopes, Language = r.Language,
        Status = Enum.Parse<PortalStatus>(r.Status), StatusReason = r.StatusReason, InstalledByUserId = r.InstalledByUserId,
        InstalledAt = Instant(r.InstalledAt), UpdatedAt = Instant(r.UpdatedAt),
    };

    private static DateTimeOffset Instant(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Domain { get; set; } = "";
        public string ClientEndpoint { get; set; } = "";
        public string? ServerEndpoint { get; set; }
        public string? AccessToken { get; set; }
        public string? RefreshToken { get; set; }
        public DateTime? AccessTokenExpiresAt { get; set; }
        public DateTime? RefreshTokenIssuedAt { get; set; }
        public string? ApplicationToken { get; set; }
        public string? Scopes { get; set; }
        public string? Language { get; set; }
        public string Status { get; set; } = "";
        public string? StatusReason { get; set; }
        public int? InstalledByUserId { get; set; }
        public DateTime InstalledAt { get; set; }
        public DateTime UpdatedAt { get; set; }
    }
}

/// <summary>API keys in the table <c>api_keys</c> (hash unique).</summary>
internal sealed class PostgreSqlApiKeyRecords(PostgreSqlDatabase database) : IApiKeyRecords
{
    private const string Select = "SELECT member_id AS Id, hash AS Hash, hint AS Hint, created_at AS CreatedAt FROM api_keys";

    public ApiKeyRecord? Find(string memberId)
    {
        using var connection = database.Open();
        return connection.QuerySingleOrDefault<ApiKeyRecord>(Select + " WHERE member_id = @memberId", new { memberId });
    }

    public ApiKeyRecord? FindByHash(string hash)
    {
        using var connection = database.Open();
        return connection.QuerySingleOrDefault<ApiKeyRecord>(Select + " WHERE hash = @hash", new { hash });
    }

    public void Upsert(ApiKeyRecord record)
    {
        using var connection = database.Open();
        connection.Execute("""
            INSERT INTO api_keys (member_id, hash, hint, created_at) VALUES (@Id, @Hash, @Hint, @CreatedAt)
            ON CONFLICT (member_id) DO UPDATE SET hash = excluded.hash, hint = excluded.hint, created_at = excluded.created_at
            """, new { record.Id, record.Hash, record.Hint, CreatedAt = DateTime.SpecifyKind(record.CreatedAt, DateTimeKind.Utc) });
    }
}

/// <summary>Line states in the table <c>line_connections</c>.</summary>
internal sealed class PostgreSqlLineConnectionRecords(PostgreSqlDatabase database) : ILineConnectionRecords
{
    private const string Select = "SELECT id AS Id, member_id AS MemberId, line AS Line, state AS State, changed_at AS ChangedAt FROM line_connections";

    public LineConnection? Find(string id)
    {
        using var connection = database.Open();
        return connection.Query<Row>(Select + " WHERE id = @id", new { id }).Select(ToConnection).SingleOrDefault();
    }

    public IReadOnlyList<LineConnection> List(string memberId)
    {
        using var connection = database.Open();
        return connection.Query<Row>(Select + " WHERE member_id = @memberId ORDER BY line", new { memberId }).Select(ToConnection).ToList();
    }

    public void Upsert(LineConnection c)
    {
        using var connection = database.Open();
        connection.Execute("""
            INSERT INTO line_connections (id, member_id, line, state, changed_at) VALUES (@Id, @MemberId, @Line, @State, @ChangedAt)
            ON CONFLICT (id) DO UPDATE SET member_id = excluded.member_id, line = excluded.line, state = excluded.state,
                changed_at = excluded.changed_at
            """, new { c.Id, c.MemberId, c.Line, State = c.State.ToString(), ChangedAt = DateTime.SpecifyKind(c.ChangedAt, DateTimeKind.Utc) });
    }

    private static LineConnection ToConnection(Row r) => new()
    {
        Id = r.Id, MemberId = r.MemberId, Line = r.Line, State = Enum.Parse<LineConnectionState>(r.State), ChangedAt = r.ChangedAt,
    };

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string MemberId { get; set; } = "";
        public int Line { get; set; }
        public string State { get; set; } = "";
        public DateTime ChangedAt { get; set; }
    }
}

/// <summary>Webhooks in the table <c>line_webhooks</c>.</summary>
internal sealed class PostgreSqlLineWebhookRecords(PostgreSqlDatabase database) : ILineWebhookRecords
{
    public LineWebhookRecord? Find(string id)
    {
        using var connection = database.Open();
        return connection.QuerySingleOrDefault<LineWebhookRecord>("""
            SELECT id AS Id, member_id AS MemberId, line AS Line, url AS Url, protected_secret AS ProtectedSecret,
                   secret_created_at AS SecretCreatedAt, secret_hint AS SecretHint
            FROM line_webhooks WHERE id = @id
            """, new { id });
    }

    public void Upsert(LineWebhookRecord r)
    {
        using var connection = database.Open();
        connection.Execute("""
            INSERT INTO line_webhooks (id, member_id, line, url, protected_secret, secret_created_at, secret_hint)
            VALUES (@Id, @MemberId, @Line, @Url, @ProtectedSecret, @SecretCreatedAt, @SecretHint)
            ON CONFLICT (id) DO UPDATE SET member_id = excluded.member_id, line = excluded.line, url = excluded.url,
                protected_secret = excluded.protected_secret, secret_created_at = excluded.secret_created_at,
                secret_hint = excluded.secret_hint
            """, new
        {
            r.Id, r.MemberId, r.Line, r.Url, r.ProtectedSecret,
            SecretCreatedAt = r.SecretCreatedAt is { } created ? DateTime.SpecifyKind(created, DateTimeKind.Utc) : (DateTime?)null,
            r.SecretHint,
        });
    }
}

/// <summary>Chats in the table <c>chats</c>.</summary>
internal sealed class PostgreSqlChatRecords(PostgreSqlDatabase database) : IChatRecords
{
    public IReadOnlyList<ChatDirectory.ChatRecord> List(string memberId, int line)
    {
        using var connection = database.Open();
        return connection.Query<ChatDirectory.ChatRecord>(
            "SELECT id AS Id, member_id AS MemberId, line AS Line, chat_id AS ChatId, name AS Name FROM chats WHERE member_id = @memberId AND line = @line",
            new { memberId, line }).ToList();
    }

    public void Upsert(IReadOnlyList<ChatDirectory.ChatRecord> records)
    {
        using var connection = database.Open();
        connection.Execute("""
            INSERT INTO chats (id, member_id, line, chat_id, name) VALUES (@Id, @MemberId, @Line, @ChatId, @Name)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name
            """, records);
    }
}
