using System.Diagnostics;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Storage;
using LiteDB;

namespace LineBridge.Bench;

/// <summary>
/// <c>seed</c>: fills one line of a LiteDB file with many delivered messages.
/// <c>list</c>: times the UI's queries against it (first page, chat filter, text search) on the server side.
/// </summary>
internal static class LogBenchmark
{
    internal const string MemberId = "b3nch000000000000000000000000001";
    internal const int Line = 1;
    private const int Chats = 20_000;

    // A small vocabulary makes ordinary words common; "invoice" is rare (about 1 message in 200) to model a real search.
    private static readonly string[] Words =
    [
        "hello", "please", "order", "delivery", "thanks", "status", "today", "tomorrow", "price", "address",
        "question", "payment", "call", "me", "back", "where", "is", "my", "parcel", "can", "you", "help", "with",
        "the", "a", "refund", "size", "colour", "available", "store", "open", "hours", "weekend", "support",
    ];

    public static int Seed(string dataFile, int count)
    {
        using var db = Open(dataFile);
        var store = new MessageStore(db, TimeProvider.System);
        var random = new Random(42);
        var start = DateTime.UtcNow.AddSeconds(-count);
        var stopwatch = Stopwatch.StartNew();
        const int batch = 5_000;
        for (var done = 0; done < count; done += batch)
        {
            var n = Math.Min(batch, count - done);
            var messages = new List<NewMessage>(n);
            for (var i = 0; i < n; i++)
            {
                var number = done + i;
                var chat = $"chat-{random.Next(Chats)}";
                var words = Enumerable.Range(0, 4 + random.Next(12)).Select(_ => Words[random.Next(Words.Length)]);
                var text = string.Join(' ', words) + (number % 200 == 0 ? " invoice " + number : "");
                messages.Add(new NewMessage(MemberId, "linebridge", Line, new ConnectorMessage(
                    new ConnectorUser { Id = "user-" + chat, Name = "Customer" },
                    new ConnectorMessageBody { Id = "m-" + number, Text = text },
                    new ConnectorChat { Id = chat })));
            }
            store.ImportDelivered(messages, start.AddSeconds(done));
            if ((done / batch) % 20 == 0) Console.WriteLine($"  {done + n:N0} messages, {stopwatch.Elapsed.TotalSeconds:F0} s");
        }
        db.Checkpoint();
        Console.WriteLine($"seeded {count:N0} messages into line {Line} in {stopwatch.Elapsed.TotalSeconds:F1} s ({dataFile})");
        return 0;
    }

    public static async Task<int> ListAsync(string dataFile)
    {
        using var db = Open(dataFile);
        var store = new MessageStore(db, TimeProvider.System);
        var log = BenchServices.MessageLog(store);
        var session = BenchServices.Session(MemberId);
        var total = (await log.QueryAsync(session, new MessageQuery(Line))).TotalCount;
        Console.WriteLine($"line {Line}: {total:N0} messages ({new FileInfo(dataFile).Length / 1024 / 1024:N0} MB file)");
        var chat = (await log.QueryAsync(session, new MessageQuery(Line))).Items[0].ChatId;

        await Measure("first page (25, newest first)", () => log.QueryAsync(session, new MessageQuery(Line)));
        await Measure("page 40 (skip 1,000)", () => log.QueryAsync(session, new MessageQuery(Line, Page: 40)));
        await Measure($"chat filter ({chat})", () => log.QueryAsync(session, new MessageQuery(Line, ChatId: chat)));
        await Measure("status filter (failed)", () => log.QueryAsync(session, new MessageQuery(Line, Status: MessageStatus.Failed)));
        await Measure("text search \"invoice\" (with total)", () => log.QueryAsync(session, new MessageQuery(Line, Text: "invoice")));
        await Measure("text search in a chat", () => log.QueryAsync(session, new MessageQuery(Line, ChatId: chat, Text: "order")));
        return 0;
    }

    private static async Task Measure(string name, Func<Task<MessagePage>> query)
    {
        var times = new List<double>();
        MessagePage? page = null;
        for (var i = 0; i < 6; i++)
        {
            var sw = Stopwatch.StartNew();
            page = await query();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        // The first run warms LiteDB's page cache; report it apart from the warm median.
        var warm = times.Skip(1).Order().ToList();
        Console.WriteLine($"{name,-40} cold {times[0],8:F1} ms   warm median {warm[warm.Count / 2],8:F1} ms   " +
                          $"({page!.Items.Count} rows, total {page.TotalCount:N0})");
    }

    internal static LiteDatabase Open(string dataFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dataFile))!);
        return new LiteDatabase($"Filename={dataFile};Connection=direct");
    }
}
