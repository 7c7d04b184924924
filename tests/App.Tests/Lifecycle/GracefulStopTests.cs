using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Storage;
using LineBridge.Trust;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Lifecycle;

/// <summary>What a graceful stop does to a delivery that is out with the portal (docs/deploy.md, "Stopping").</summary>
public sealed class GracefulStopTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Messages:RetryDelay"] = "00:00:00.200",
        ["Messages:MaxRetryDelay"] = "00:00:01",
        ["Messages:PollInterval"] = "00:00:00.200",
    };

    [Fact]
    public async Task AStop_ReleasesTheSendItHasOut_AndTheNextStartDeletesItBeforeDeliveringItOnce()
    {
        // The send of this one message is held on the wire until the stop cancels it (the portal may or may not
        // have it: the app cannot know). Only the first instance has the hold; the restarted one talks freely.
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await SandboxedApp.StartAsync(settings: Settings, configureServices: s => s
            .AddHttpClient(Bitrix24.Bitrix24Client.HttpClientName).AddHttpMessageHandler(() => new HoldSend("across-a-stop", arrived)),
            cancellationToken: Ct);
        await Line.ConnectAsync(app, webhook: null, Ct);
        app.Services.GetRequiredService<LineConnections>().MarkConnected(app.Portal.MemberId, Line.Id);

        var added = app.Services.GetRequiredService<MessageService>().Send(app.Portal.MemberId, Line.Id,
            [new ConnectorMessage(new ConnectorUser { Id = "customer-1" }, new ConnectorMessageBody { Id = "across-a-stop", Text = "Sent across a stop" }, new ConnectorChat { Id = Line.Chat })],
            ChangeAuthor.Api);
        var id = added.Single().Record.Id;
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(90), Ct);

        // A graceful stop (the host's StopAsync, as on SIGTERM), then a start on the same data.
        await app.RestartAsync(Settings);

        var store = app.Services.GetRequiredService<MessageStore>();
        await SandboxedApp.WaitUntilAsync(() => store.Get(app.Portal.MemberId, id)?.Status == MessageStatus.Sent, "the message is sent after the restart");
        var copies = app.Portal.Dialogs.Where(d => d.Line == Line.Id && d.ExternalChatId == Line.Chat)
            .SelectMany(d => d.Messages).Count(m => m.ConnectorMid.Contains("across-a-stop"));
        Assert.Equal(1, copies);
        // Released, not forgotten: the portal might have had it, so it was deleted there before it went again.
        var calls = app.Portal.Calls.Where(c => c.Parameters.Contains("across-a-stop")).Select(c => c.Method).ToList();
        Assert.Equal(["imconnector.delete.messages", "imconnector.send.messages"], calls);
        Assert.Empty(store.LoadOutbox(10));
    }

    /// <summary>Holds the send of one message until the call is cancelled; every other call passes.</summary>
    private sealed class HoldSend(string externalId, TaskCompletionSource arrived) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.Contains("imconnector.send.messages", StringComparison.Ordinal) && request.Content is not null
                && (await request.Content.ReadAsStringAsync(cancellationToken)).Contains(externalId, StringComparison.Ordinal))
            {
                arrived.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
