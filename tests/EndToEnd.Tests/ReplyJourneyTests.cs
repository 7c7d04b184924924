using LineBridge.Bitrix24.Models;
using LineBridge.Components.Portal;
using LineBridge.Components.Replies;
using LineBridge.EndToEnd.Infrastructure;
using LineBridge.Replies;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.EndToEnd;

public sealed class ReplyJourneyTests(Browser browser)
{
    [Fact]
    public async Task OperatorReply_InThePortalsLineView_ReachesTheWebhook_AndShowsAsSentInLineBridgesMessageTable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await SandboxedApp.StartAsync(cancellationToken: ct);
        await using var receiver = await WebhookReceiver.StartAsync();
        // A connected line with a customer's chat, and the line's webhook set by an administrator.
        var connectors = app.Clients.ForPortal(app.Portal.MemberId).Connectors;
        await connectors.ActivateAsync("linebridge", 1, active: true, ct);
        await connectors.SendMessagesAsync(new ConnectorMessagesRequest("linebridge", 1,
            [new ConnectorMessage(new ConnectorUser { Id = "customer-1", Name = "Carl" }, new ConnectorMessageBody { Id = "m1", Text = "Where is my order?" }, new ConnectorChat { Id = "chat-1" })]), ct);
        var admin = new PortalSession
        {
            MemberId = app.Portal.MemberId, PortalDomain = app.Portal.Domain, UserId = 1, UserName = "Anna Admin", IsAdmin = true,
            Language = "en", Placement = "DEFAULT", Ticket = "test",
        };
        var secret = (await app.Services.GetRequiredService<ILineWebhooks>().SetUrlAsync(admin, 1, receiver.Url.AbsoluteUri, ct)).NewSecret!;
        var chat = app.Portal.Dialogs.Single().ChatId;

        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);

        // The operator answers in the portal's own line view.
        await portal.OpenAsync("online/?line=1");
        await portal.Page.GetByTestId($"reply-input-{chat}").FillAsync("It ships today.");
        await portal.Page.GetByTestId($"reply-send-{chat}").ClickSurelyAsync();

        await SandboxedApp.WaitUntilAsync(() => !receiver.Received.IsEmpty, "the reply reaches the webhook", TimeSpan.FromSeconds(60));
        var call = Assert.Single(receiver.Received);
        Assert.Null(WebhookSignature.Verify(secret, call.Signature, call.Timestamp, call.Body, DateTimeOffset.UtcNow));
        // The portal heard the delivery status: its view shows the external id on the operator's message.
        await SandboxedApp.WaitUntilAsync(
            () => app.Portal.Dialogs.SelectMany(d => d.Messages).Any(m => m.FromOperator && m.ConnectorMid.Contains("ext-1")),
            "the portal links the reply to ext-1 (imconnector.send.status.delivery)",
            TimeSpan.FromSeconds(60));
        await portal.OpenAsync("online/?line=1");
        await Assertions.Expect(portal.Page.Locator("li.operator[data-connector-mid='ext-1']")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        // In LineBridge, framed by the portal, the line's table holds the reply as sent.
        await portal.OpenAppAsync();
        await portal.App.Locator("[data-testid=line-row][data-line-id='1'] [data-testid=line-select]").ClickSurelyAsync(new() { Timeout = 30_000 });
        var row = portal.App.Locator("tr", new() { Has = portal.App.Locator("[data-testid=message-text]", new() { HasText = "It ships today." }) });
        await Assertions.Expect(row.Locator("[data-testid=status-chip][data-status=Sent]")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        await context.CloseAsync();
    }
}
