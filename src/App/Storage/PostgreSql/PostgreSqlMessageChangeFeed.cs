using System.Text.Json;
using System.Threading.Channels;
using LineBridge.Components.Messages;
using LineBridge.Messages;
using Npgsql;

namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// Announces message changes to the other instances with PostgreSQL <c>NOTIFY</c> on <see cref="Channel"/> (payload:
/// a <see cref="MessageChange"/> as JSON). <see cref="Announce"/> only queues; a background pump sends what is queued
/// in one round trip (<c>pg_notify</c> over an array), so the dispatcher never waits for the database here.
/// </summary>
internal sealed class PostgreSqlMessageChangeFeed(PostgreSqlDatabase database, ILogger<PostgreSqlMessageChangeFeed> logger)
    : BackgroundService, IMessageChangeFeed
{
    /// <summary>The <c>LISTEN</c>/<c>NOTIFY</c> channel (per database, so instances of other deployments never hear it).</summary>
    public const string Channel = "linebridge_messages";

    // Bounded: if the database is unreachable for long, the oldest announcements go (pages then lag, nothing else).
    private readonly Channel<MessageChange> _queue = System.Threading.Channels.Channel.CreateBounded<MessageChange>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>This process's identity in payloads; its own announcements come back to it and are skipped.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public void Announce(string memberId, IReadOnlyList<SentMessage> messages)
    {
        foreach (var message in messages) _queue.Writer.TryWrite(new MessageChange(memberId, message.LineId, message.Id, InstanceId));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<string>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < 500 && _queue.Reader.TryRead(out var change)) batch.Add(JsonSerializer.Serialize(change));
                try
                {
                    await using var connection = await database.DataSource.OpenConnectionAsync(stoppingToken);
                    await using var command = new NpgsqlCommand("SELECT pg_notify(@channel, payload) FROM unnest(@payloads) AS payload", connection);
                    command.Parameters.AddWithValue("channel", Channel);
                    command.Parameters.AddWithValue("payloads", batch.ToArray());
                    await command.ExecuteNonQueryAsync(stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    logger.LogWarning(e, "Could not announce {Count} message change(s) to the other instances; their pages show them on reload", batch.Count);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>
/// Hears the other instances' <see cref="PostgreSqlMessageChangeFeed"/> announcements (<c>LISTEN</c> on one dedicated
/// connection), reloads each changed row through <see cref="IMessageSnapshots"/> and tells this process's sessions of
/// that portal (<see cref="MessageUpdates.PublishLocal"/>). A lost connection is re-opened after a pause; changes
/// announced meanwhile are missed (pages show them on their next reload).
/// </summary>
internal sealed class PostgreSqlMessageChangeListener(
    PostgreSqlDatabase database, PostgreSqlMessageChangeFeed feed, MessageUpdates updates, IMessageSnapshots snapshots,
    TimeProvider time, ILogger<PostgreSqlMessageChangeListener> logger) : BackgroundService
{
    // A silent network failure never ends WaitAsync; probing the idle connection now and then notices it.
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReconnectPause = TimeSpan.FromSeconds(5);

    /// <summary>True while the connection listens (tests wait for it before announcing).</summary>
    public bool IsListening { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.DataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgreSqlMessageChangeFeed.Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                IsListening = true;
                while (true)
                {
                    if (await connection.WaitAsync(ProbeInterval, stoppingToken)) continue;
                    await using var probe = new NpgsqlCommand("SELECT 1", connection);
                    await probe.ExecuteScalarAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or IOException)
            {
                IsListening = false;
                logger.LogWarning(e, "Lost the PostgreSQL connection that hears other instances' message changes; reconnecting in {Pause}", ReconnectPause);
                try
                {
                    await Task.Delay(ReconnectPause, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        IsListening = false;
    }

    private void OnNotification(string payload)
    {
        try
        {
            var change = JsonSerializer.Deserialize<MessageChange>(payload);
            // Our own change already reached our sessions; a malformed payload is not ours to act on.
            if (change is null || change.Origin == feed.InstanceId || string.IsNullOrEmpty(change.MemberId)) return;
            // No page of this portal open here: nothing to reload (most instances, for most portals).
            if (!updates.HasSubscribers(change.MemberId)) return;
            if (snapshots.Find(change.MemberId, change.MessageId) is { } message) updates.PublishLocal(change.MemberId, [message]);
        }
        catch (Exception e)
        {
            // Raised inside WaitAsync: an exception here would drop the connection, so it ends here, logged.
            logger.LogWarning(e, "Could not apply a message change another instance announced");
        }
    }
}
