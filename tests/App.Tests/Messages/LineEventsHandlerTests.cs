using LineBridge.Events;
using LineBridge.Infrastructure;
using LineBridge.Install;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>
/// The handler applies events the processor already confirmed with the portal; whether a late switch-off is refuted
/// by the portal is <c>Trust.EventTrustTests.LateSwitchOff_OfAReconnectedLine_IsRefutedByThePortal</c>.
/// </summary>
public sealed class LineEventsHandlerTests
{
    private const string Member = ClientHarness.MemberId;

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

    private static PortalEvent SwitchOff(string connector = "linebridge") =>
        Event(PortalEventNames.StatusDelete, ("data[connector]", connector), ("data[line]", "107"));

    [Fact]
    public async Task StatusDelete_MarksOurLineDisconnected()
    {
        var (handler, lines, db) = Create();
        using var _ = db;

        await handler.HandleAsync(SwitchOff(), TestContext.Current.CancellationToken);

        Assert.Equal(LineConnectionState.Disconnected, lines.GetState(Member, 107));
    }

    [Fact]
    public async Task StatusDelete_OfAnotherConnector_ChangesNothing()
    {
        var (handler, lines, db) = Create();
        using var _ = db;

        await handler.HandleAsync(SwitchOff("telegrambot"), TestContext.Current.CancellationToken);

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
