using System.Net;
using LineBridge.Events;
using LineBridge.Infrastructure;
using LineBridge.Install;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

public sealed class LineEventsHandlerTests : IAsyncDisposable
{
    private const string Member = ClientHarness.MemberId;

    // The portal as the handler sees it when it checks a switch-off: by default the connector is off on the line.
    private readonly ClientHarness _portal = new(_ => StatusAnswer(working: false));

    private static HttpResponseMessage StatusAnswer(bool working)
    {
        var flag = working ? "true" : "false";
        return RecordingHandler.Json(
            $$$"""{"result":{"LINE":107,"CONNECTOR":"linebridge","ERROR":false,"CONFIGURED":{{{flag}}},"STATUS":{{{flag}}}}}""");
    }

    private (LineEventsHandler Handler, LineConnections Lines, LiteDatabase Db) Create()
    {
        var db = new LiteDatabase(":memory:");
        var lines = new LineConnections(db, TimeProvider.System);
        lines.MarkConnected(Member, 107);
        _portal.InstalledPortal();
        return (new LineEventsHandler(lines, _portal.Factory, Options.Create(new Bitrix24AppOptions { ConnectorId = "linebridge" }),
            NullLogger<LineEventsHandler>.Instance), lines, db);
    }

    public ValueTask DisposeAsync() => _portal.DisposeAsync();

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
    public async Task StatusDelete_ArrivingAfterTheLineWasReconnected_IsIgnored()
    {
        var (handler, lines, db) = Create();
        using var _ = db;
        _portal.Portal.Respond = _ => StatusAnswer(working: true);

        await handler.HandleAsync(SwitchOff(), TestContext.Current.CancellationToken);

        Assert.Equal(LineConnectionState.Connected, lines.GetState(Member, 107));
        Assert.Equal("imconnector.status", Assert.Single(_portal.Portal.Requests).RestMethod);
    }

    [Fact]
    public async Task StatusDelete_WhenThePortalCannotSay_IsTakenAsSaid()
    {
        var (handler, lines, db) = Create();
        using var _ = db;
        _portal.Portal.Respond = _ => RecordingHandler.Json("""{"error":"ACCESS_DENIED","error_description":"denied"}""", HttpStatusCode.Forbidden);

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
        Assert.Empty(_portal.Portal.Requests);
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
