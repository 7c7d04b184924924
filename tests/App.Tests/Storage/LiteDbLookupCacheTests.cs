using LineBridge.Messages;
using LineBridge.Storage.LiteDb;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;

namespace LineBridge.Storage;

/// <summary>
/// The send API's lookups on LiteDB (API key by hash, portal status, line state) come from memory, yet every write
/// through any object over the same file is seen at once: a rotated key is refused on the next request.
/// </summary>
public class LiteDbLookupCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RotatedKey_IsRefusedAtOnce_ThoughTheOldOneWasServedFromMemory()
    {
        using var db = new LiteDatabase(":memory:");
        var api = new ApiKeys(db, TimeProvider.System);   // the send API's object
        var admin = new ApiKeys(db, TimeProvider.System);  // another object over the same file (the UI's rotation)
        var old = await admin.RotateAsync("portal-a", Ct);
        Assert.Equal("portal-a", api.Authenticate(old));
        Assert.Equal("portal-a", api.Authenticate(old));   // now from memory

        var current = await admin.RotateAsync("portal-a", Ct);

        Assert.Null(api.Authenticate(old));
        Assert.Equal("portal-a", api.Authenticate(current));
        Assert.Equal("portal-a", api.Authenticate(current));
    }

    [Fact]
    public void LineState_AndPortalStatus_FollowEveryWrite()
    {
        using var db = new LiteDatabase(":memory:");
        var lines = new LineConnections(db, TimeProvider.System);
        var otherLines = new LineConnections(db, TimeProvider.System);
        var protection = new EphemeralDataProtectionProvider();
        var portals = new PortalStore(db, protection, TimeProvider.System);
        var otherPortals = new PortalStore(db, protection, TimeProvider.System);
        otherLines.MarkConnected("portal-a", 1);
        otherPortals.Save(new Portal { MemberId = "portal-a", Domain = "a.example.com", ClientEndpoint = "https://a.example.com/rest/" });
        Assert.Equal(LineConnectionState.Connected, lines.GetState("portal-a", 1));
        Assert.Equal(LineConnectionState.Connected, lines.GetState("portal-a", 1));
        Assert.Equal(PortalStatus.Installed, portals.FindStatus("portal-a"));
        Assert.Equal(PortalStatus.Installed, portals.FindStatus("portal-a"));

        otherLines.MarkDisconnected("portal-a", 1);
        otherPortals.MarkUninstalled("portal-a");

        Assert.Equal(LineConnectionState.Disconnected, lines.GetState("portal-a", 1));
        Assert.Equal(PortalStatus.Uninstalled, portals.FindStatus("portal-a"));
        Assert.Null(portals.Find("portal-a")!.AccessToken);
    }

    [Fact]
    public void AReadThatOverlappedAWrite_IsNotKept()
    {
        using var db = new LiteDatabase(":memory:");
        var cache = LiteDbLookupCache<LineConnection>.For(db, l => new LineConnection { Id = l.Id, State = l.State });
        var reads = 0;

        // The read returns what the file held before a write that lands while it runs.
        var stale = cache.Get("k", () =>
        {
            reads++;
            cache.Write(() => { });
            return new LineConnection { Id = "k", State = LineConnectionState.Connected };
        });
        var next = cache.Get("k", () =>
        {
            reads++;
            return new LineConnection { Id = "k", State = LineConnectionState.Deleted };
        });

        Assert.Equal(LineConnectionState.Connected, stale!.State);
        Assert.Equal(LineConnectionState.Deleted, next!.State);
        Assert.Equal(2, reads);
    }

    [Fact]
    public void Callers_GetCopies_SoAChangedRecordDoesNotReachTheCache()
    {
        using var db = new LiteDatabase(":memory:");
        var lines = new LiteDbLineConnectionRecords(db);
        lines.Upsert(new LineConnection { Id = "k", MemberId = "portal-a", Line = 1, State = LineConnectionState.Connected });
        lines.Find("k")!.State = LineConnectionState.Deleted;
        var cached = lines.Find("k")!;
        cached.State = LineConnectionState.Deleted;

        Assert.Equal(LineConnectionState.Connected, lines.Find("k")!.State);
    }
}
