using LineBridge.Components.Portal;
using LineBridge.Install;
using LineBridge.Messages;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LineBridge.Bench;

/// <summary>The app's message services wired by hand over one database, for benchmarks that need no web host.</summary>
internal static class BenchServices
{
    public static MessageService MessageLog(MessageStore store, LiteDatabase? db = null) => new(
        store,
        new LineConnections(db ?? new LiteDatabase(":memory:"), TimeProvider.System),
        new MessageUpdates(NullLogger<MessageUpdates>.Instance),
        new OutboxSignal(),
        Options.Create(new MessageOptions()),
        Options.Create(new Bitrix24AppOptions()));

    public static PortalSession Session(string memberId) => new()
    {
        MemberId = memberId,
        PortalDomain = "bench.example",
        UserId = 1,
        UserName = "Bench",
        IsAdmin = true,
        Language = "en",
        Placement = "DEFAULT",
        Ticket = "bench",
    };
}
