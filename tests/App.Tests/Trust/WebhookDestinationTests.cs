using LineBridge.Components.Replies;
using LineBridge.Infrastructure;
using LineBridge.Replies;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Trust;

/// <summary>
/// Issue 11 case 5: an administrator's webhook address pointing at loopback, numeric spellings of it, or any other
/// internal address. Loopback is configured as refused here (the one range a test may target), which proves the check
/// made on the resolved address at connect time; the classifier covers the other ranges on literals.
/// </summary>
public sealed class WebhookDestinationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> LoopbackRefused = new(Line.FastRetries) { ["Outbound:Allow:0"] = "" };

    [Fact]
    public async Task Case5_InternalWebhookAddresses_AreNeverConnected_AndTheTestSaysOnlyNotDelivered()
    {
        await using var app = await SandboxedApp.StartAsync(settings: LoopbackRefused, cancellationToken: Ct);
        using var listening = new CountingListener();
        var webhooks = app.Services.GetRequiredService<ILineWebhooks>();
        var answers = new List<WebhookTestResult>();

        foreach (var url in new[]
                 {
                     $"http://127.0.0.1:{listening.Port}/hook", $"http://2130706433:{listening.Port}/", $"http://localhost:{listening.Port}/",
                     $"http://[::ffff:127.0.0.1]:{listening.Port}/", "http://127.0.0.1:9/",
                 })
        {
            await webhooks.SetUrlAsync(Line.Admin(app), Line.Id, url, Ct);
            answers.Add(await webhooks.SendTestAsync(Line.Admin(app), Line.Id, Ct));
        }

        Assert.Equal(0, listening.Connections);
        Assert.All(answers, a =>
        {
            Assert.False(a.Success);
            Assert.Null(a.StatusCode);
            Assert.Equal(WebhookSender.NotAllowed, a.Detail);
        });
    }

    [Fact]
    public async Task Case5_OperatorReplies_AreNotPostedToARefusedAddress()
    {
        await using var app = await SandboxedApp.StartAsync(settings: LoopbackRefused, cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        await Line.ConnectAsync(app, receiver.Url, Ct);

        var imId = await app.Portal.OperatorReplyAsync(Line.Id, Line.Chat, "Hello", operatorUserId: 2);

        await SandboxedApp.WaitUntilAsync(() => Line.Reply(app, imId)?.FailureReason?.Contains(WebhookSender.NotAllowed, StringComparison.Ordinal) == true,
            "the delivery is refused by the policy", Line.Patience);
        Assert.Empty(receiver.Received);
    }
}
