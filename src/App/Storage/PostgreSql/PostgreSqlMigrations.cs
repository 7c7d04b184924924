using Dapper;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// Versioned schema migrations. Each has a number and runs once, in order, inside one transaction with the others
/// of the same run; <c>schema_migrations</c> records what was applied. A transaction-scoped advisory lock makes
/// instances that start together apply them once. Never edit a shipped migration: add the next number.
/// </summary>
public static class PostgreSqlMigrations
{
    // An arbitrary constant shared by every LineBridge instance ("LB" + "migr").
    private const long LockKey = 0x4C42_6D69_6772;

    /// <summary>The migrations in order: (version, name, SQL).</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> All { get; } =
    [
        (1, "portals, api keys, lines, webhooks, data protection keys", """
            CREATE TABLE portals (
                member_id text PRIMARY KEY,
                domain text NOT NULL,
                client_endpoint text NOT NULL,
                server_endpoint text,
                access_token text,
                refresh_token text,
                access_token_expires_at timestamptz,
                application_token text,
                scopes text,
                language text,
                status text NOT NULL,
                status_reason text,
                installed_by_user_id integer,
                installed_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL);
            CREATE TABLE api_keys (
                member_id text PRIMARY KEY,
                hash text NOT NULL UNIQUE,
                hint text NOT NULL,
                created_at timestamptz NOT NULL);
            CREATE TABLE line_connections (
                id text PRIMARY KEY,
                member_id text NOT NULL,
                line integer NOT NULL,
                state text NOT NULL,
                changed_at timestamptz NOT NULL);
            CREATE INDEX line_connections_member ON line_connections (member_id, line);
            CREATE TABLE line_webhooks (
                id text PRIMARY KEY,
                member_id text NOT NULL,
                line integer NOT NULL,
                url text,
                protected_secret text,
                secret_created_at timestamptz,
                secret_hint text);
            CREATE TABLE data_protection_keys (
                friendly_name text PRIMARY KEY,
                xml text NOT NULL,
                stored_at timestamptz NOT NULL DEFAULT now());
            """),
        // When the stored refresh token was obtained, so a quiet portal's tokens are refreshed before it lapses.
        (2, "portals: refresh_token_issued_at", """
            ALTER TABLE portals ADD COLUMN refresh_token_issued_at timestamptz;
            """),
        // Each portal's REST budget, shared by the instances (PostgreSqlRateLimiter): the bucket's next free slot.
        (3, "portal_rate_budgets", """
            CREATE TABLE portal_rate_budgets (
                member_id text PRIMARY KEY,
                next_free_at timestamptz NOT NULL);
            """),
        // The message log, its versions, the outbox (claimed with a lease by one instance at a time) and operator
        // reply deliveries (one instance at a time per portal, by a lease in reply_portal_leases), and the chat-name
        // directory. Ids the UI shows are LiteDB ObjectIds as 24 lower-case hex digits (COLLATE "C": byte order is
        // time order). search_text is the text lower-cased by the app (any script, whatever the database's locale);
        // its trigram index serves substring search without reading the whole line. pg_trgm is a trusted extension
        // (PostgreSQL 13+): the database's owner may create it.
        (4, "message log, versions, outbox, reply deliveries, chats; trigram search", """
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
            CREATE TABLE messages (
                id text COLLATE "C" PRIMARY KEY,
                member_id text NOT NULL,
                connector text NOT NULL,
                line integer NOT NULL,
                chat_id text NOT NULL,
                chat_name text,
                external_message_id text NOT NULL,
                external_user_id text NOT NULL,
                external_user_name text,
                payload text NOT NULL,
                text text NOT NULL,
                search_text text NOT NULL,
                portal_text text,
                has_files boolean NOT NULL,
                status text NOT NULL,
                failure_reason text,
                delivered boolean NOT NULL,
                delete_requested boolean NOT NULL,
                version integer NOT NULL,
                last_edited_by text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                portal_user_id text,
                session_id text,
                portal_chat_id text,
                direction text NOT NULL,
                im_chat_id text,
                im_message_id text,
                delivered_as text,
                CONSTRAINT messages_external UNIQUE (member_id, line, chat_id, external_message_id));
            CREATE INDEX messages_line_time ON messages (member_id, line, created_at DESC, id DESC);
            CREATE INDEX messages_chat_time ON messages (member_id, line, chat_id, created_at DESC, id DESC);
            CREATE INDEX messages_status_time ON messages (member_id, line, status, created_at DESC, id DESC);
            CREATE INDEX messages_search ON messages USING gin (search_text gin_trgm_ops);
            CREATE TABLE message_versions (
                id text COLLATE "C" PRIMARY KEY,
                message_id text COLLATE "C" NOT NULL REFERENCES messages (id),
                member_id text NOT NULL,
                version integer NOT NULL,
                kind text NOT NULL,
                old_text text,
                new_text text NOT NULL,
                changed_by text NOT NULL,
                source text NOT NULL,
                changed_at timestamptz NOT NULL,
                status text NOT NULL,
                portal_answer text,
                CONSTRAINT message_versions_version UNIQUE (message_id, version));
            CREATE TABLE message_outbox (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                member_id text NOT NULL,
                connector text NOT NULL,
                line integer NOT NULL,
                kind text NOT NULL,
                message_id text COLLATE "C" NOT NULL REFERENCES messages (id),
                version integer NOT NULL,
                text text,
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL,
                last_error text,
                delete_first boolean NOT NULL DEFAULT false,
                in_flight boolean NOT NULL DEFAULT false,
                accepted_at timestamptz NOT NULL,
                lease_owner text,
                lease_until timestamptz);
            CREATE INDEX message_outbox_message ON message_outbox (message_id, id);
            CREATE INDEX message_outbox_line ON message_outbox (member_id, line);
            CREATE TABLE reply_deliveries (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_id text NOT NULL,
                event_type text NOT NULL,
                member_id text NOT NULL,
                connector text NOT NULL,
                line integer NOT NULL,
                message_id text COLLATE "C" NOT NULL REFERENCES messages (id),
                version integer NOT NULL,
                body text NOT NULL,
                stage text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL,
                last_error text,
                external_id text);
            CREATE INDEX reply_deliveries_member ON reply_deliveries (member_id, id);
            CREATE INDEX reply_deliveries_message ON reply_deliveries (message_id);
            CREATE TABLE chats (
                id text PRIMARY KEY,
                member_id text NOT NULL,
                line integer NOT NULL,
                chat_id text NOT NULL,
                name text);
            CREATE INDEX chats_line ON chats (member_id, line);
            CREATE TABLE reply_portal_leases (
                member_id text PRIMARY KEY,
                lease_owner text NOT NULL,
                lease_until timestamptz NOT NULL);
            """),
        // The dispatcher reads a quiet portal's own oldest items (ClaimOf) when other portals fill the shared window.
        (5, "message_outbox: index on member_id", """
            CREATE INDEX message_outbox_member ON message_outbox (member_id, id);
            """),
        // The event inbox shared by the instances (PostgreSqlEventInbox): whichever instance receives an event stores
        // it here; one instance at a time (a lease in event_portal_leases) confirms and applies a portal's events.
        // fields is the event's form as JSON text (jsonb refuses \u0000, which a form may carry).
        (6, "event inbox, event portal leases", """
            CREATE TABLE event_inbox (
                id text COLLATE "C" PRIMARY KEY,
                member_id text NOT NULL,
                name text NOT NULL,
                fingerprint text NOT NULL UNIQUE,
                sent_at timestamptz NOT NULL,
                received_at timestamptz NOT NULL,
                fields text NOT NULL,
                state text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL,
                outcome text);
            CREATE INDEX event_inbox_open ON event_inbox (member_id, sent_at, id) WHERE state IN ('Pending', 'Confirmed');
            CREATE INDEX event_inbox_member ON event_inbox (member_id, id);
            CREATE INDEX event_inbox_closed ON event_inbox (sent_at) WHERE state IN ('Applied', 'Dropped');
            CREATE TABLE event_portal_leases (
                member_id text PRIMARY KEY,
                lease_owner text NOT NULL,
                lease_until timestamptz NOT NULL);
            """),
        // Text search reads a narrow table beside messages (issue 15): only what a line's search needs (the line, the
        // order, the lower-cased text), about a third of a messages row (whose payload dominates), with the trigram
        // index on it. Cold, a search is bounded by the random reads of its rechecks: the trigram index is lossy for
        // LIKE, so each candidate row is read; narrow rows, written in time order, put the newest matches on few pages.
        // The store writes it in the same statement as the message (insert, text edit); messages are never deleted,
        // and if they ever are, their search rows go with them (ON DELETE CASCADE). The messages table's own trigram
        // index and search_text column go: one trigram index per message to maintain on accept, not two.
        // The backfill copies existing rows in time order.
        (7, "message_search: a narrow table for text search", """
            CREATE TABLE message_search (
                id text COLLATE "C" PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
                member_id text NOT NULL,
                line integer NOT NULL,
                created_at timestamptz NOT NULL,
                search_text text NOT NULL);
            INSERT INTO message_search (id, member_id, line, created_at, search_text)
            SELECT id, member_id, line, created_at, search_text FROM messages ORDER BY created_at, id;
            CREATE INDEX message_search_line_time ON message_search (member_id, line, created_at DESC, id DESC);
            CREATE INDEX message_search_text ON message_search USING gin (search_text gin_trgm_ops);
            DROP INDEX messages_search;
            ALTER TABLE messages DROP COLUMN search_text;
            ANALYZE message_search;
            """),
    ];

    /// <summary>The schema version this build expects.</summary>
    public static int LatestVersion => All[^1].Version;

    /// <summary>Brings the database to <see cref="LatestVersion"/>; returns how many migrations were applied.</summary>
    /// <exception cref="InvalidOperationException">The database cannot be reached, or its schema is newer than this build.</exception>
    public static int Apply(NpgsqlDataSource dataSource)
    {
        NpgsqlConnection connection;
        try
        {
            connection = dataSource.OpenConnection();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            var target = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            throw new InvalidOperationException(
                $"Cannot reach PostgreSQL at {target.Host}:{target.Port} (database '{target.Database}', from ConnectionStrings:" +
                $"{StorageProviders.ConnectionStringName}): {e.Message}", e);
        }
        using (connection)
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute("SELECT pg_advisory_xact_lock(@LockKey)", new { LockKey }, transaction);
            connection.Execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, transaction: transaction);
            var current = connection.ExecuteScalar<int?>("SELECT max(version) FROM schema_migrations", transaction: transaction) ?? 0;
            if (current > LatestVersion)
                throw new InvalidOperationException(
                    $"The database schema is at version {current}, newer than this build of LineBridge knows ({LatestVersion}). " +
                    "Run the newer LineBridge, or restore a backup made for this one.");
            var applied = 0;
            foreach (var (version, name, sql) in All.Where(m => m.Version > current))
            {
                connection.Execute(sql, transaction: transaction);
                connection.Execute("INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", new { version, name }, transaction);
                applied++;
            }
            transaction.Commit();
            return applied;
        }
    }
}
