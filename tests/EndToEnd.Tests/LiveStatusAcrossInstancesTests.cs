using LineBridge.EndToEnd.Infrastructure;
using LineBridge.Messages;
using LineBridge.Storage.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LineBridge.EndToEnd;

/// <summary>
/// Three instances on one PostgreSQL database (issue 14): a message edited in a page connected to instance A is
/// delivered by instance B, and a page connected to instance C shows it "sent" without a reload. Only B runs the
/// outbox dispatcher, so the delivery can only be B's; the pages hear of each other's changes through the database's
/// change feed (<c>LISTEN</c>/<c>NOTIFY</c>).
/// </summary>
public sealed class LiveStatusAcrossInstancesTests(Browser browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AMessageEditedInAPageOnInstanceA_DeliveredByInstanceB_ShowsSentInAPageOnInstanceC_WithoutAReload()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync(Ct);
        var settings = database.AppSettings(
            // B finds work queued by A within half a second (its own signal only hears its own accepts).
            ("Messages:PollInterval", "00:00:00.500"));
        await using var a = await SandboxedApp.StartAsync(settings: settings, configureServices: WithoutDelivery, cancellationToken: Ct);
        await using var b = await a.StartPeerAsync(settings);
        await using var c = await a.StartPeerAsync(settings, WithoutDelivery);
        Assert.Empty(a.Services.GetServices<IHostedService>().OfType<OutboxDispatcher>());
        Assert.Single(b.Services.GetServices<IHostedService>().OfType<OutboxDispatcher>());
        Assert.Empty(c.Services.GetServices<IHostedService>().OfType<OutboxDispatcher>());
        await SandboxedApp.WaitUntilAsync(() => IsListening(a.Services) && IsListening(c.Services), "A and C listen to the change feed");

        // A line connected and a message sent through A's API; B delivers it.
        var line = a.Portal.OpenLines[0].Id;
        await a.Clients.ForPortal(a.Portal.MemberId).Connectors.ActivateAsync("linebridge", line, true, Ct);
        a.Services.GetRequiredService<LineConnections>().MarkConnected(a.Portal.MemberId, line);
        var key = await a.Services.GetRequiredService<ApiKeys>().RotateAsync(a.Portal.MemberId, Ct);
        await new ExternalSystem(a, key).SendAsync(line, "chat-1", "m-1", "Your parcel leaves tomorow");

        // Two people, two browsers: the first page's frame is served by A, the second's by C.
        await using var first = await browser.NewContextAsync();
        var onA = new PortalPage(await first.NewPageAsync(), a.Portal);
        await OpenLineAsync(onA, line);
        a.Sandbox.ConfigureApp(handlerUrl: new Uri(c.BaseUri, "placement").AbsoluteUri, installUrl: new Uri(c.BaseUri, "install").AbsoluteUri);
        await using var second = await browser.NewContextAsync();
        var onC = new PortalPage(await second.NewPageAsync(), a.Portal);
        await OpenLineAsync(onC, line);
        Assert.StartsWith(a.BaseUri.AbsoluteUri, FrameUrl(onA), StringComparison.Ordinal);
        Assert.StartsWith(c.BaseUri.AbsoluteUri, FrameUrl(onC), StringComparison.Ordinal);
        foreach (var page in new[] { onA, onC })
        {
            await page.StepAsync("The sent message shows as sent", () => Assertions.Expect(
                page.MessageRow("Your parcel leaves tomorow").Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent"));
        }
        // A mark in C's frame: a reload (of the frame or the page) would lose it.
        var frameOnC = onC.Page.Frames.Single(f => f != onC.Page.MainFrame);
        await frameOnC.EvaluateAsync("() => { window.linebridgeNotReloaded = true; }");

        // Edited in the page on A.
        await onA.StepAsync("Editing the message on A", async () =>
        {
            await onA.MessageRow("Your parcel leaves tomorow").Locator("[data-testid=edit-button]").ClickSurelyAsync();
            await onA.InApp("edit-text").FillAsync("Your parcel leaves tomorrow");
            await Assertions.Expect(onA.InApp("edit-save")).ToBeEnabledAsync();
            await onA.InApp("edit-save").ClickSurelyAsync();
            await Assertions.Expect(onA.MessageRow("Your parcel leaves tomorrow").Locator("[data-testid=edited-mark]")).ToBeVisibleAsync();
        });

        // Delivered by B (the only dispatcher); the page on C shows the new text as sent, with no reload.
        await onC.StepAsync("The edit shows as sent on C", async () =>
        {
            var edited = onC.MessageRow("Your parcel leaves tomorrow");
            await Assertions.Expect(edited.Locator("[data-testid=edited-mark]")).ToBeVisibleAsync();
            await Assertions.Expect(edited.Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent");
        });
        await onA.StepAsync("The edit shows as sent on A", () => Assertions.Expect(
            onA.MessageRow("Your parcel leaves tomorrow").Locator("[data-testid=status-chip]")).ToHaveAttributeAsync("data-status", "Sent"));
        Assert.True(await frameOnC.EvaluateAsync<bool>("() => window.linebridgeNotReloaded === true"), "The page on C was reloaded.");
        Assert.Same(frameOnC, onC.Page.Frames.Single(f => f != onC.Page.MainFrame));
        var texts = a.Portal.Dialogs.Where(d => d.Line == line).SelectMany(d => d.Messages).Select(m => m.Text).ToList();
        Assert.Equal(["Your parcel leaves tomorrow"], texts);

        await first.CloseAsync();
        await second.CloseAsync();
    }

    private static async Task OpenLineAsync(PortalPage portal, int line)
    {
        await portal.OpenAppAsync();
        await portal.StepAsync($"Opening line {line}", async () =>
        {
            await portal.LineRow(line).Locator("[data-testid=line-select]").ClickSurelyAsync();
            await Assertions.Expect(portal.InApp("message-list")).ToBeVisibleAsync();
        });
    }

    private static string FrameUrl(PortalPage portal) => portal.Page.Frames.Single(f => f != portal.Page.MainFrame).Url;

    /// <summary>An instance that serves pages and the API but never delivers: its outbox dispatcher is not started.</summary>
    private static void WithoutDelivery(IServiceCollection services)
    {
        // AddMessages registers the dispatcher as a hosted service through a factory typed by the dispatcher.
        var dispatcher = services.Where(d => d.ServiceType == typeof(IHostedService)
            && (d.ImplementationType == typeof(OutboxDispatcher) || d.ImplementationFactory?.Method.ReturnType == typeof(OutboxDispatcher))).ToList();
        Assert.Single(dispatcher);
        services.Remove(dispatcher[0]);
    }

    // Once an instance listens, no NOTIFY of the other instances can be missed by its pages.
    private static bool IsListening(IServiceProvider services) =>
        services.GetServices<IHostedService>().OfType<PostgreSqlMessageChangeListener>().Single().IsListening;
}
