using System.Collections.Concurrent;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Storage;
using LineBridge.Storage.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LineBridge.MultiInstance;

/// <summary>Instances on one PostgreSQL database tell each other's pages of message changes (LISTEN/NOTIFY).</summary>
public sealed class SharedMessageUpdatesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AChangePublishedOnInstanceA_ReachesASubscriberOnInstanceB_AndIsNotEchoedBackToA()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync(Ct);
        var settings = database.AppSettings();
        // Until the message log is shared, B's store plays the shared one: A reads its rows too.
        var shared = new SharedRows();
        await using var a = await SandboxedApp.StartAsync(
            settings: settings, configureServices: s => s.AddSingleton<IMessageSnapshots>(shared), cancellationToken: Ct);
        await using var b = await a.StartPeerAsync(settings);
        shared.Store = b.Services.GetRequiredService<IMessageSnapshots>();
        var memberId = a.Portal.MemberId;
        await SandboxedApp.WaitUntilAsync(() => Listener(a.Services).IsListening && Listener(b.Services).IsListening, "both instances listen");

        // The rows as the shared store holds them: the receiving instance reloads a changed one by id.
        var message = Import(b.Services, memberId, "m-1");
        var marker = Import(b.Services, memberId, "m-2");
        var seenOnA = new ConcurrentQueue<SentMessage>();
        var seenOnB = new ConcurrentQueue<SentMessage>();
        using var onA = a.Services.GetRequiredService<IMessageUpdates>().Subscribe(memberId, m => { seenOnA.Enqueue(m); return Task.CompletedTask; });
        using var onB = b.Services.GetRequiredService<IMessageUpdates>().Subscribe(memberId, m => { seenOnB.Enqueue(m); return Task.CompletedTask; });
        using var otherPortal = b.Services.GetRequiredService<IMessageUpdates>().Subscribe("another-portal", _ => throw new InvalidOperationException("Another portal's page was told."));

        a.Services.GetRequiredService<MessageUpdates>().Publish(memberId, [message with { Status = MessageStatus.Sent }]);
        await SandboxedApp.WaitUntilAsync(() => seenOnB.Any(m => m.Id == message.Id), "instance B's page hears of the change made on A");

        // B answers with a change of its own; NOTIFYs arrive in commit order, so once A hears B's, any echo of A's own
        // change would already have arrived.
        b.Services.GetRequiredService<MessageUpdates>().Publish(memberId, [marker]);
        await SandboxedApp.WaitUntilAsync(() => seenOnA.Any(m => m.Id == marker.Id), "instance A hears B's change");

        Assert.Single(seenOnA, m => m.Id == message.Id);
        Assert.Single(seenOnB, m => m.Id == message.Id);
        Assert.Equal(MessageStatus.Sent, seenOnB.Single(m => m.Id == message.Id).Status);
    }

    private sealed class SharedRows : IMessageSnapshots
    {
        public IMessageSnapshots? Store { get; set; }

        public SentMessage? Find(string memberId, string messageId) => Store?.Find(memberId, messageId);
    }

    private static PostgreSqlMessageChangeListener Listener(IServiceProvider services) =>
        services.GetServices<IHostedService>().OfType<PostgreSqlMessageChangeListener>().Single();

    private static SentMessage Import(IServiceProvider services, string memberId, string externalId)
    {
        var store = services.GetRequiredService<MessageStore>();
        store.ImportDelivered(
            [new NewMessage(memberId, "linebridge", 1, new ConnectorMessage(
                new ConnectorUser { Id = "customer-1" }, new ConnectorMessageBody { Id = externalId, Text = "Hi" }, new ConnectorChat { Id = "chat-1" }))],
            DateTime.UtcNow);
        return MessageService.ToSentMessage(store.FindByExternal(memberId, 1, "chat-1", externalId)!);
    }
}
