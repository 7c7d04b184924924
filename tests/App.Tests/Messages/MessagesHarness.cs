using System.Net;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Components.Portal;
using LineBridge.Install;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    public override DateTimeOffset GetUtcNow() => Now;
    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>
/// Stands in for the portal's <c>imconnector.*</c> message methods: records every call and answers each element with
/// success unless a test scripts a failure. Tracks which external ids would exist in the portal's dialogs.
/// </summary>
public sealed class FakeConnectorClient : ConnectorClient
{
    private readonly Lock _gate = new();

    public List<(string Method, ConnectorMessagesRequest Request)> Calls { get; } = [];

    /// <summary>Exceptions to throw on the next calls, in order (null = answer normally).</summary>
    public Queue<Exception?> Failures { get; } = new();

    /// <summary>Per-element answer; default success.</summary>
    public Func<string, ConnectorMessage, MessageItemResult> Answer { get; set; } =
        (_, _) => new MessageItemResult { Success = true, PortalUserId = "585", SessionId = "323", PortalChatId = "1767" };

    /// <summary>External message ids present in the portal (a send adds one copy, a delete removes all copies).</summary>
    public List<string> PortalCopies { get; } = [];

    public override Task<ConnectorMessagesResult> SendMessagesAsync(ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        Handle("send", request);

    public override Task<ConnectorMessagesResult> UpdateMessagesAsync(ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        Handle("update", request);

    public override Task<ConnectorMessagesResult> DeleteMessagesAsync(ConnectorMessagesRequest request, CancellationToken cancellationToken = default) =>
        Handle("delete", request);

    /// <summary>The portal processed the call, but the answer was lost on the way back.</summary>
    public bool LoseNextAnswer { get; set; }

    private Task<ConnectorMessagesResult> Handle(string method, ConnectorMessagesRequest request)
    {
        lock (_gate)
        {
            Calls.Add((method, request));
            if (Failures.TryDequeue(out var failure) && failure is not null) throw failure;
            var items = request.Messages.Select(m => Answer(method, m)).ToList();
            for (var i = 0; i < items.Count; i++)
            {
                if (!items[i].Success) continue;
                var id = request.Messages[i].Message.Id!;
                if (method == "send") PortalCopies.Add(id);
                if (method == "delete") PortalCopies.RemoveAll(c => c == id);
            }
            if (LoseNextAnswer)
            {
                LoseNextAnswer = false;
                throw new Bitrix24Exception("imconnector." + method + ".messages", 0, Bitrix24Errors.NetworkError, "The connection was reset.");
            }
            return Task.FromResult(new ConnectorMessagesResult(items));
        }
    }

    public static Bitrix24Exception Error(HttpStatusCode status, string code, string description = "test") =>
        new("imconnector.send.messages", status, code, description);
}

public sealed class FakeBitrix24Client(ConnectorClient connectors) : Bitrix24Client
{
    public override ConnectorClient Connectors => connectors;
}

public sealed class FakeClientFactory(ConnectorClient connectors) : Bitrix24ClientFactory
{
    public List<string> Portals { get; } = [];

    public override Bitrix24Client ForPortal(string memberId)
    {
        lock (Portals) Portals.Add(memberId);
        return new FakeBitrix24Client(connectors);
    }
}

/// <summary>The message services over a LiteDB file in a temp folder, with a fake portal and a hand-moved clock.</summary>
public sealed class MessagesHarness : IDisposable
{
    public const string MemberId = "a223c6b3710f85df22e9377d6c4f7553";
    public const string OtherMemberId = "b223c6b3710f85df22e9377d6c4f7554";

    private readonly string _folder;

    public MessagesHarness(Action<MessageOptions>? configure = null, string? folder = null)
    {
        _folder = folder ?? Path.Combine(Path.GetTempPath(), "lb-messages-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        Options = new MessageOptions { RetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(30) };
        configure?.Invoke(Options);
        Open();
    }

    public MessageOptions Options { get; }
    public ManualTime Time { get; } = new();
    public FakeConnectorClient Portal { get; private set; } = new();
    public DurableLiteDatabase Db { get; private set; } = null!;
    public MessageStore Store { get; private set; } = null!;
    public LineConnections Lines { get; private set; } = null!;
    public MessageUpdates Updates { get; private set; } = null!;
    public MessageService Service { get; private set; } = null!;
    public OutboxDispatcher Dispatcher { get; private set; } = null!;
    public string Folder => _folder;

    /// <summary>Closes the database and opens it again, as a restarted process would (the portal stays).</summary>
    public void Restart()
    {
        Db.Dispose();
        Open(Portal);
    }

    private void Open(FakeConnectorClient? portal = null)
    {
        Portal = portal ?? new FakeConnectorClient();
        Db = DurableLiteDatabase.Open(Path.Combine(_folder, "test.db"));
        Store = new MessageStore(Db, Time);
        Lines = new LineConnections(Db, Time);
        Updates = new MessageUpdates(NullLogger<MessageUpdates>.Instance);
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        var signal = new OutboxSignal();
        Service = new MessageService(Store, Lines, Updates, signal, options, Microsoft.Extensions.Options.Options.Create(new Bitrix24AppOptions()),
            chats: new ChatDirectory(Db));
        Dispatcher = new OutboxDispatcher(Store, new FakeClientFactory(Portal), signal, Updates, options, Time,
            NullLogger<OutboxDispatcher>.Instance);
    }

    public static ConnectorMessage Message(string id, string text = "hello", string chat = "chat-1", string user = "user-1") => new(
        new ConnectorUser { Id = user, Name = "Ann" },
        new ConnectorMessageBody { Id = id, Text = text },
        new ConnectorChat { Id = chat, Name = "Chat " + chat });

    public IReadOnlyList<AddedMessage> Send(params ConnectorMessage[] messages) => Send(1, messages);

    public IReadOnlyList<AddedMessage> Send(int line, params ConnectorMessage[] messages)
    {
        Lines.MarkConnected(MemberId, line);
        return Service.Send(MemberId, line, messages, ChangeAuthor.Api);
    }

    /// <summary>Runs dispatcher rounds until nothing is due now (at most <paramref name="maxRounds"/>).</summary>
    public async Task DrainAsync(int maxRounds = 50)
    {
        for (var i = 0; i < maxRounds; i++)
        {
            if (await Dispatcher.RunOnceAsync() > TimeSpan.Zero) return;
        }
    }

    public MessageRecord Record(AddedMessage added) => Store.Get(MemberId, added.Record.Id)!;

    public static PortalSession Session(bool admin = true, string memberId = MemberId) => new()
    {
        MemberId = memberId, PortalDomain = "test.example", UserId = 7, UserName = "Olga Operator", IsAdmin = admin,
        Language = "en", Placement = "DEFAULT", Ticket = "t",
    };

    public void Dispose()
    {
        Db.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
