using LineBridge.Events;
using LineBridge.Install;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

public class LineEventsHandlerTests
{
    private const string Member = "a223c6b3710f85df22e9377d6c4f7553";

    private static (LineEventsHandler Handler, LineConnections Lines, LiteDatabase Db) Create()
    {
        var db = new LiteDatabase(":memory:");
        var lines = new LineConnections(db, TimeProvider.System);
        lines.MarkConnected(Member, 107);
        return (new LineEventsHandler(lines, Options.Create(new Bitrix24AppOptions { ConnectorId = "linebridge" }),
            NullLogger<LineEventsHandler>.Instance), lines, db);
    }

    private static PortalEvent Event(string name, params (string Key, string Value)[] fields) =>
        new(name, Member, fields.ToDictionary(f => f.Key, f => f.Value), DateTimeOffset.UtcNow);

    [Fact]
    public async Task StatusDelete_MarksOurLineDisconnected()
    {
        var (handler, lines, db) = Create();
        using var _ = db;

        await handler.HandleAsync(Event(PortalEventNames.StatusDelete, ("data[connector]", "linebridge"), ("data[line]", "107")), TestContext.Current.CancellationToken);

        Assert.Equal(LineConnectionState.Disconnected, lines.GetState(Member, 107));
    }

    [Fact]
    public async Task StatusDelete_OfAnotherConnector_ChangesNothing()
    {
        var (handler, lines, db) = Create();
        using var _ = db;

        await handler.HandleAsync(Event(PortalEventNames.StatusDelete, ("data[connector]", "telegrambot"), ("data[line]", "107")), TestContext.Current.CancellationToken);

        Assert.Equal(LineConnectionState.Connected, lines.GetState(Member, 107));
    }

    [Fact]
    public async Task LineDelete_MarksTheLineDeleted()
    {
        var (handler, lines, db) = Create();
        using var _ = db;

        Assert.True(handler.Handles(PortalEventNames.LineDelete));
        await handler.HandleAsync(Event(PortalEventNames.LineDelete, ("data", "107")), TestContext.Current.CancellationToken);

        Assert.Equal(LineConnectionState.Deleted, lines.GetState(Member, 107));
        Assert.Null(lines.GetState(Member, 108));
    }
}
