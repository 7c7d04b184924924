using LineBridge.Bench;

// Benchmarks of LineBridge, each printing its figures. See bench/README.md.
var command = args.FirstOrDefault();
string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

return command switch
{
    "seed" => LogBenchmark.Seed(Option("data", "bench-data/log.db"), int.Parse(Option("messages", "1000000"))),
    "edits" => await EditsBenchmark.RunAsync(int.Parse(Option("seconds", "60")), int.Parse(Option("messages", "200")),
        Option("provider", "litedb"), Option("instances", "1").Split(',').Select(int.Parse).ToList()),
    "delivery" => await DeliveryBenchmark.RunAsync(int.Parse(Option("seconds", "60")), double.Parse(Option("window", "20"), System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(Option("lines", "1"))),
    "many-portals" => await ManyPortalsBenchmark.RunAsync(int.Parse(Option("portals", "200")), int.Parse(Option("saturated", "10")),
        int.Parse(Option("seconds", "30")), double.Parse(Option("quiet-rate", "10"), System.Globalization.CultureInfo.InvariantCulture),
        Option("provider", "litedb")),
    "send-api" => await SendApiBenchmark.RunAsync(int.Parse(Option("seconds", "20")), int.Parse(Option("clients", "8")),
        Option("provider", "litedb"), int.Parse(Option("instances", "1")), Option("deliver", "on") != "off", int.Parse(Option("warm-up-max", "30"))),
    "pg-list" => await PgLogBenchmark.RunAsync(int.Parse(Option("messages", "1000000"))),
    "store-add" => await StoreAddBenchmark.RunAsync(double.Parse(Option("seconds", "10")), int.Parse(Option("clients", "32")),
        int.Parse(Option("accepts", "100000"))),
    "list" => await LogBenchmark.ListAsync(Option("data", "bench-data/log.db")),
    "memory" => await MemoryBenchmark.RunAsync(int.Parse(Option("sessions", "20")), int.Parse(Option("messages", "200")),
        int.Parse(Option("hold", "0")), Option("page", "messages"), int.Parse(Option("keep-alive", "0"))),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project bench -- <benchmark> [options]
          edits [--seconds 60] [--messages 200]                   batched edits vs one call per edit, against the sandbox
                [--provider postgresql --instances 1,3]           edits/s delivered by 1, then 3 instances on one database
          delivery [--seconds 60] [--window 20] [--lines 1]      sends and edits/s delivered at the sandbox's ceiling (operating budget),
                                                                  the backlog spread over N busy lines; then the naive client
                                                                  (one send call a message) on a second portal
          many-portals [--portals 200] [--saturated 10] [--seconds 30] [--quiet-rate 10] [--provider litedb|postgresql]
                                                                  a quiet portal's delivery time while others are saturated
          send-api [--seconds 20] [--clients 8]                  accepted messages/s and latency of the send API
                   [--provider litedb|postgresql|all] [--instances 1]   all: LiteDB, PostgreSQL x 1, x 3 side by side
                   [--deliver on|off] [--warm-up-max 30]   off: the dispatcher stopped (accepts alone); warm-up until the
                                                          JIT settles, at most N s
          pg-list [--messages 1000000]                            PostgreSQL: seed a line, time its list queries cold and warm
          store-add [--seconds 10] [--clients 32] [--accepts 100000]  MessageStore.Add: plain LiteDB vs one fsync per commit; heap
          seed  [--data bench-data/log.db] [--messages 1000000]   fill one line with delivered messages
          list  [--data bench-data/log.db]                        time first page, chat filter, text search
          memory [--sessions 20] [--messages 200] [--hold 0] [--page messages|home] [--keep-alive 0]
                                                                  app memory at idle and per connected UI session (Chromium);
                                                                  --hold N keeps the sessions open N s for a heap snapshot;
                                                                  --keep-alive N holds idle HTTP connections N s instead of the
                                                                  app's 10 s; a hold up to 60 s is waited out before measuring
                                                                  (the circuit and its WebSocket), a longer one (130: Kestrel's
                                                                  default) is measured with them
        """);
    return 1;
}
