using LineBridge.Storage.PostgreSql;
using Npgsql;

namespace LineBridge.Storage;

/// <summary>
/// Serializes a portal's token refresh across every LineBridge instance that shares the store. Bitrix24 refresh tokens
/// are single-use: two instances refreshing at once would spend the same token and one would lose the portal. The
/// holder re-reads the stored tokens after acquiring (another instance may have refreshed meanwhile).
/// </summary>
public interface IPortalRefreshLock
{
    /// <summary>Waits until no other instance refreshes this portal; dispose the result to let the next one in.</summary>
    Task<IAsyncDisposable> AcquireAsync(string memberId, CancellationToken cancellationToken);
}

/// <summary>LiteDB is one process (one file, one <c>LiteDatabase</c>): the in-process gate already serializes.</summary>
internal sealed class SingleProcessRefreshLock : IPortalRefreshLock
{
    private static readonly Task<IAsyncDisposable> Held = Task.FromResult<IAsyncDisposable>(new Nothing());

    public Task<IAsyncDisposable> AcquireAsync(string memberId, CancellationToken cancellationToken) => Held;

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// A PostgreSQL transaction-scoped advisory lock per portal (<c>pg_advisory_xact_lock</c> on a hash of the member id
/// in a LineBridge-only key space): held while the transaction is open, released by commit, and by the server when
/// an instance dies mid-refresh (its connection drops), so a crashed holder never blocks the others.
/// </summary>
internal sealed class PostgreSqlRefreshLock(PostgreSqlDatabase database) : IPortalRefreshLock
{
    // Two-key form: (class, hash) keeps these locks apart from the migration lock and from other applications.
    private const int LockClass = 0x4C42_5246; // "LBRF"

    public async Task<IAsyncDisposable> AcquireAsync(string memberId, CancellationToken cancellationToken)
    {
        database.Migrate();
        var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@class, hashtext(@member))", connection, transaction);
            command.Parameters.AddWithValue("class", LockClass);
            command.Parameters.AddWithValue("member", memberId);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new Held(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Held(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await transaction.CommitAsync();
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
