using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using LineBridge.EndToEnd.Infrastructure;
using LineBridge.OpenLines;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.EndToEnd;

/// <summary>
/// When the app's connection to the server fails for good (an unexpected error ends the circuit), the frame says so and
/// what to do, instead of looking normal while every click does nothing.
/// </summary>
public sealed class CircuitErrorTests(Browser browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AFailedCircuit_TellsTheUser_ToReloadThePortalPage()
    {
        await using var app = await SandboxedApp.StartAsync(
            configureServices: services => services.AddScoped<IOpenLineDirectory>(
                provider => new FailingKeyDirectory(ActivatorUtilities.CreateInstance<OpenLineDirectory>(provider))),
            cancellationToken: Ct);
        await using var context = await browser.NewContextAsync();
        var portal = new PortalPage(await context.NewPageAsync(), app.Portal);
        await portal.OpenAppAsync();
        await Assertions.Expect(portal.InApp("circuit-error")).ToBeHiddenAsync();

        await portal.InApp("nav-settings").ClickSurelyAsync();
        await portal.LineRow(1).Locator("[data-testid=line-select]").ClickSurelyAsync();
        await Assertions.Expect(portal.InApp("key-state")).ToBeVisibleAsync();
        await portal.InApp("rotate-key").ClickSurelyAsync();

        await Assertions.Expect(portal.InApp("circuit-error")).ToBeVisibleAsync();
        await Assertions.Expect(portal.InApp("circuit-error")).ToContainTextAsync("Reload the portal page");
    }

    /// <summary>The real directory, except that creating a key fails with an error no page expects.</summary>
    private sealed class FailingKeyDirectory(IOpenLineDirectory inner) : IOpenLineDirectory
    {
        public Task<IReadOnlyList<OpenLineSummary>> GetLinesAsync(PortalSession session, CancellationToken cancellationToken = default) =>
            inner.GetLinesAsync(session, cancellationToken);

        public Task<OpenLineSummary> ConnectAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
            inner.ConnectAsync(session, lineId, cancellationToken);

        public Task<OpenLineSummary> DisconnectAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
            inner.DisconnectAsync(session, lineId, cancellationToken);

        public Task<int> CountPendingWorkAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
            inner.CountPendingWorkAsync(session, lineId, cancellationToken);

        public Task<ApiAccess> GetApiAccessAsync(PortalSession session, CancellationToken cancellationToken = default) =>
            inner.GetApiAccessAsync(session, cancellationToken);

        public Task<string> RotateApiKeyAsync(PortalSession session, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("A failure no page expects (test).");
    }
}
