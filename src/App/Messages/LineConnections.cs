using LineBridge.Storage;
using LineBridge.Storage.LiteDb;
using LiteDB;

namespace LineBridge.Messages;

public enum LineConnectionState
{
    Connected,
    /// <summary>The connector was switched off on the line (by us, an administrator, or the portal).</summary>
    Disconnected,
    /// <summary>The open line itself was deleted.</summary>
    Deleted,
}

/// <summary>Whether LineBridge is connected to each line of a portal, as far as the app knows.</summary>
public sealed class LineConnection
{
    public string Id { get; set; } = "";
    public string MemberId { get; set; } = "";
    public int Line { get; set; }
    public LineConnectionState State { get; set; }
    public DateTime ChangedAt { get; set; }
}

/// <summary>
/// The connector's state per line. Set by the open-lines service when an administrator connects or disconnects, and by
/// portal events (status deleted, line deleted); read by the send API, which refuses lines that are not connected.
/// </summary>
public sealed class LineConnections
{
    private readonly ILineConnectionRecords _lines;
    private readonly TimeProvider _time;
    private readonly OutboxSignal? _signal;

    /// <summary>The states in the embedded LiteDB collection.</summary>
    /// <param name="signal">Woken when a line is connected, so work that waited for it goes out at once.</param>
    public LineConnections(LiteDatabase db, TimeProvider time, OutboxSignal? signal = null)
        : this(new LiteDbLineConnectionRecords(db), time, signal)
    {
    }

    /// <summary>The states over any provider's records.</summary>
    internal LineConnections(ILineConnectionRecords records, TimeProvider time, OutboxSignal? signal = null)
    {
        _time = time;
        _signal = signal;
        _lines = records;
    }

    public void MarkConnected(string memberId, int line)
    {
        Set(memberId, line, LineConnectionState.Connected);
        _signal?.Notify();
    }

    public void MarkDisconnected(string memberId, int line) => Set(memberId, line, LineConnectionState.Disconnected);

    public void MarkDeleted(string memberId, int line) => Set(memberId, line, LineConnectionState.Deleted);

    /// <summary>The line's state, or null when LineBridge was never connected to it.</summary>
    public LineConnectionState? GetState(string memberId, int line) => _lines.Find(Key(memberId, line))?.State;

    public IReadOnlyList<LineConnection> List(string memberId) => _lines.List(memberId);

    /// <summary>The line's record (state and when it last changed), or null when LineBridge was never connected to it.</summary>
    public LineConnection? Get(string memberId, int line) => _lines.Find(Key(memberId, line));

    private void Set(string memberId, int line, LineConnectionState state) =>
        _lines.Upsert(new LineConnection
        {
            Id = Key(memberId, line),
            MemberId = memberId,
            Line = line,
            State = state,
            ChangedAt = _time.GetUtcNow().UtcDateTime,
        });

    // Hex keys: the database collation ignores case, member ids must not collide by case.
    private static string Key(string memberId, int line) => MessageKeys.CounterId(MessageKeys.Line(memberId, line));
}
