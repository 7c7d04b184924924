using LineBridge.Components;
using LineBridge.Infrastructure;
using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using LineBridge.Messages;
using LineBridge.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.OpenLines;

/// <summary>The UI's open-lines service against the real sandbox portal, over loopback HTTP.</summary>
public sealed class OpenLineDirectoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PortalSession Session(SandboxedApp app, bool admin) => new()
    {
        MemberId = app.Portal.MemberId,
        PortalDomain = app.Portal.Domain,
        UserId = admin ? 1 : 2,
        UserName = admin ? "Anna Admin" : "Oleg Operator",
        IsAdmin = admin,
        Language = "en",
        Placement = "DEFAULT",
        Ticket = "not-used-here",
    };

    [Fact]
    public async Task GetLines_ListsEveryLineWithTheConnectorStatusThePortalReports()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();
        app.Portal.ConnectConnector("linebridge", 2);   // Contact Center's button: ACTIVE only, not yet configured

        var lines = await directory.GetLinesAsync(Session(app, admin: false), Ct);

        Assert.Equal([1, 2, 3], lines.Select(l => l.Id));
        Assert.All(lines, l => Assert.Equal(ConnectorState.NotConnected, l.Connector));
        Assert.False(lines.Single(l => l.Id == 3).IsActive);
        // The statuses came in one batch call, not one call per line.
        Assert.Equal(1, app.Portal.Calls.Count(c => c.Method == "batch"));
        Assert.DoesNotContain(app.Portal.Calls, c => c.Method == "imconnector.status");
    }

    [Theory]
    [InlineData(999, true)]
    [InlineData(999, false)]
    [InlineData(0, true)]
    public async Task Connect_OfALineThePortalDoesNotHave_IsRefused_AndNothingIsActivated(int lineId, bool unknownIsFalse)
    {
        await using var app = await SandboxedApp.StartAsync(configureSandbox: o => o.Switches.ConfigGetUnknownReturnsFalse = unknownIsFalse, cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();

        var refused = await Assert.ThrowsAsync<OperationFailedException>(() => directory.ConnectAsync(Session(app, admin: true), lineId, Ct));

        Assert.Contains($"no", refused.Message);
        Assert.Contains("open line", refused.Message);
        Assert.DoesNotContain(app.Portal.Calls, c => c.Method == "imconnector.activate");
        Assert.Empty(app.Portal.LineStatuses);
        Assert.Null(app.Services.GetRequiredService<LineConnections>().GetState(app.Portal.MemberId, lineId));
    }

    [Fact]
    public async Task Connect_AsAdministrator_ActivatesTheLineAndDescribesTheConnection()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();

        var line = await directory.ConnectAsync(Session(app, admin: true), 1, Ct);

        Assert.Equal(ConnectorState.Connected, line.Connector);
        Assert.Equal("Website chat", line.Name);
        var status = Assert.Single(app.Portal.LineStatuses, s => s.Line == 1);
        Assert.True(status.Status);
        Assert.Equal(new Uri(app.BaseUri, "api/v1").AbsoluteUri, status.Data["url"]);
        Assert.Equal(LineConnectionState.Connected, app.Services.GetRequiredService<LineConnections>().GetState(app.Portal.MemberId, 1));
    }

    [Fact]
    public async Task ConnectDisconnectAndRotate_AsOperator_AreRefusedOnTheServer_AndThePortalIsNotCalled()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();
        var operatorSession = Session(app, admin: false);
        // From quiet, and judged once quiet again: a call the install's background work makes is not the refusal's,
        // and a call the refusal started in the background would still count.
        await app.WaitUntilQuietAsync();
        var callsBefore = app.Portal.Calls.Count;

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => directory.ConnectAsync(operatorSession, 1, Ct));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => directory.DisconnectAsync(operatorSession, 1, Ct));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => directory.RotateApiKeyAsync(operatorSession, Ct));

        await app.WaitUntilQuietAsync();
        Assert.Equal(callsBefore, app.Portal.Calls.Count);
        Assert.False((await directory.GetApiAccessAsync(operatorSession, Ct)).HasKey);
    }

    [Fact]
    public async Task GetLines_FollowsThePortal_WhenTheConnectorWasDisabledThere()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();
        var connections = app.Services.GetRequiredService<LineConnections>();
        await directory.ConnectAsync(Session(app, admin: true), 1, Ct);

        // Contact Center's Disable. Even if the status-delete event were lost, the next listing corrects our state.
        app.Portal.DisableConnector("linebridge", 1);
        var lines = await directory.GetLinesAsync(Session(app, admin: true), Ct);

        Assert.Equal(ConnectorState.NotConnected, lines.Single(l => l.Id == 1).Connector);
        Assert.NotEqual(LineConnectionState.Connected, connections.GetState(app.Portal.MemberId, 1));
    }

    /// <summary>
    /// A listing whose answer was read before a connect (the Messages page's first listing still on its way while the
    /// administrator connects the line in Settings) must not switch our send gate back off when it lands.
    /// </summary>
    [Fact]
    public async Task GetLines_ReadBeforeAConnect_DoesNotUndoTheConnect()
    {
        var held = new HeldBatch();
        await using var app = await SandboxedApp.StartAsync(
            configureServices: s => s.AddHttpClient(LineBridge.Bitrix24.Bitrix24Client.HttpClientName).AddHttpMessageHandler(() => new HoldingHandler(held)),
            cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();
        var connections = app.Services.GetRequiredService<LineConnections>();

        var listing = directory.GetLinesAsync(Session(app, admin: true), Ct);
        await held.Answered.Task.WaitAsync(TimeSpan.FromSeconds(90), Ct);   // the portal said: line 1 is not connected
        await directory.ConnectAsync(Session(app, admin: true), 1, Ct);
        held.Release.SetResult();
        var lines = await listing;

        Assert.Equal(ConnectorState.NotConnected, lines.Single(l => l.Id == 1).Connector);   // what the portal said then
        Assert.Equal(LineConnectionState.Connected, connections.GetState(app.Portal.MemberId, 1));
    }

    /// <summary>The answer of the first status batch (already answered by the portal), held until released.</summary>
    private sealed class HeldBatch
    {
        private int _first;

        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TakeFirst() => Interlocked.Exchange(ref _first, 1) == 0;
    }

    private sealed class HoldingHandler(HeldBatch held) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.Contains("/batch", StringComparison.Ordinal) && held.TakeFirst())
            {
                held.Answered.SetResult();
                await held.Release.Task.WaitAsync(cancellationToken);
            }
            return response;
        }
    }

    [Fact]
    public async Task Connect_WhenThePortalFails_ReportsTheReasonInWordsAndKeepsTheLineDisconnected()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();
        app.Sandbox.Faults.Set(new FaultSettings { ErrorRate = 1, Methods = ["imconnector.activate"] });

        var error = await Assert.ThrowsAsync<OperationFailedException>(() => directory.ConnectAsync(Session(app, admin: true), 1, Ct));

        Assert.Contains("INTERNAL_SERVER_ERROR", error.Message);
        Assert.Null(app.Services.GetRequiredService<LineConnections>().GetState(app.Portal.MemberId, 1));
    }

    [Fact]
    public async Task RotateApiKey_AsAdministrator_ReturnsAKeyTheApiAccepts_AndTheOldOneStops()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        var directory = app.Services.GetRequiredService<IOpenLineDirectory>();
        var apiKeys = app.Services.GetRequiredService<ApiKeys>();
        var admin = Session(app, admin: true);

        var first = await directory.RotateApiKeyAsync(admin, Ct);
        var second = await directory.RotateApiKeyAsync(admin, Ct);

        Assert.Equal(app.Portal.MemberId, apiKeys.Authenticate(second));
        Assert.Null(apiKeys.Authenticate(first));
        var access = await directory.GetApiAccessAsync(admin, Ct);
        Assert.True(access.HasKey);
        Assert.DoesNotContain(second, access.KeyHint ?? "");
    }
}
