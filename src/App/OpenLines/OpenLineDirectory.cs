using System.Globalization;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Components;
using LineBridge.Components.Localization;
using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using LineBridge.Install;
using LineBridge.Messages;
using Microsoft.Extensions.Options;

namespace LineBridge.OpenLines;

/// <summary>
/// The portal's open lines and LineBridge's connector on them, for the UI. Calls the portal with the app's stored
/// tokens; who may change what is decided here, on the server, from the verified session.
/// </summary>
public sealed class OpenLineDirectory(
    Bitrix24ClientFactory clients,
    LineConnections connections,
    LineBridge.Storage.MessageStore messages,
    ApiKeys apiKeys,
    PublicAddress address,
    IOptions<Bitrix24AppOptions> options,
    ILogger<OpenLineDirectory> logger,
    IPortalSessions? sessions = null) : IOpenLineDirectory
{
    // One batch answers the status of up to 50 lines in one unit of the portal's rate budget.
    private const int BatchSize = 50;

    // imopenlines.config.get of an unknown id, on builds that answer an error rather than result:false.
    private const string ConfigNotFound = "CONFIG_NOT_FOUND";

    private string ConnectorId => options.Value.ConnectorId;

    public async Task<IReadOnlyList<OpenLineSummary>> GetLinesAsync(
        PortalSession session, CancellationToken cancellationToken = default)
    {
        var client = clients.ForPortal(session.MemberId);
        // What our gate said before the portal was asked: a connect or disconnect made while the list is read (another
        // tab, or this page's own Settings while its first listing is still on its way) is newer than the list.
        var before = connections.List(session.MemberId).ToDictionary(c => c.Line, c => (c.State, c.ChangedAt));
        var lines = await Portal(() => ListAllAsync(client, cancellationToken));
        var summaries = new List<OpenLineSummary>(lines.Count);
        foreach (var chunk in lines.Chunk(BatchSize))
        {
            var commands = chunk.ToDictionary(
                line => line.Id.ToString(CultureInfo.InvariantCulture),
                line => new BatchCommand(Bitrix24Methods.ConnectorStatus, new Dictionary<string, string>
                {
                    ["CONNECTOR"] = ConnectorId,
                    ["LINE"] = line.Id.ToString(CultureInfo.InvariantCulture),
                }));
            var batch = await Portal(() => client.BatchAsync(commands, cancellationToken: cancellationToken));
            foreach (var line in chunk)
            {
                var key = line.Id.ToString(CultureInfo.InvariantCulture);
                var state = batch.Results.TryGetValue(key, out var status) ? StateOf(status) : ConnectorState.NotConnected;
                Reconcile(session.MemberId, line.Id, state, before.TryGetValue(line.Id, out var known) ? known : null);
                summaries.Add(new OpenLineSummary(line.Id, line.Name, line.Active, state,
                    batch.Errors.TryGetValue(key, out var error) ? $"{error.Code}: {error.Description}" : null));
            }
        }
        return summaries;
    }

    public async Task<OpenLineSummary> ConnectAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default)
    {
        await RequireAdminAsync(session, "connect a line", cancellationToken);
        var client = clients.ForPortal(session.MemberId);
        // The id comes from the browser: a crafted one must not create a status row for a line the portal does not have.
        if (lineId <= 0 || await Portal(() => client.OpenLines.GetAsync(lineId, cancellationToken)) is null)
        {
            throw new OperationFailedException(new LocalText("Problem.NoSuchLine", lineId.ToString(CultureInfo.InvariantCulture)));
        }
        // What the portal expects of a connector's settings page (§7.3): activate, then describe the connection.
        await Portal(() => client.Connectors.ActivateAsync(ConnectorId, lineId, active: true, cancellationToken));
        await Portal(() => client.Connectors.SetConnectorDataAsync(ConnectorId, lineId, new ConnectorData
        {
            Id = $"{ConnectorId}-{lineId}",
            Url = address.ApiBaseUrl,
            UrlIm = address.BaseUrl,
            Name = options.Value.ConnectorName,
        }, cancellationToken));
        connections.MarkConnected(session.MemberId, lineId);
        logger.LogInformation("User {UserId} connected line {LineId} of portal {PortalDomain}", session.UserId, lineId, session.PortalDomain);
        return await SummaryAsync(client, lineId, cancellationToken);
    }

    public async Task<OpenLineSummary> DisconnectAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default)
    {
        await RequireAdminAsync(session, "disconnect a line", cancellationToken);
        var client = clients.ForPortal(session.MemberId);
        await Portal(() => client.Connectors.ActivateAsync(ConnectorId, lineId, active: false, cancellationToken));
        connections.MarkDisconnected(session.MemberId, lineId);
        logger.LogInformation("User {UserId} disconnected line {LineId} of portal {PortalDomain}", session.UserId, lineId, session.PortalDomain);
        return await SummaryAsync(client, lineId, cancellationToken);
    }

    public Task<int> CountPendingWorkAsync(PortalSession session, int lineId, CancellationToken cancellationToken = default) =>
        Task.FromResult(messages.CountPending(session.MemberId, lineId));

    public Task<ApiAccess> GetApiAccessAsync(PortalSession session, CancellationToken cancellationToken = default)
    {
        var key = apiKeys.GetInfo(session.MemberId);
        return Task.FromResult(new ApiAccess(address.ApiBaseUrl, key is not null,
            key is null ? null : new DateTimeOffset(DateTime.SpecifyKind(key.CreatedAt, DateTimeKind.Utc)), key?.Hint));
    }

    public async Task<string> RotateApiKeyAsync(PortalSession session, CancellationToken cancellationToken = default)
    {
        await RequireAdminAsync(session, "create an API key", cancellationToken);
        logger.LogInformation("User {UserId} rotated the API key of portal {PortalDomain}", session.UserId, session.PortalDomain);
        return await apiKeys.RotateAsync(session.MemberId, cancellationToken);
    }

    private async Task<OpenLineSummary> SummaryAsync(Bitrix24Client client, int lineId, CancellationToken cancellationToken)
    {
        var line = await Portal(() => client.OpenLines.GetAsync(lineId, cancellationToken));
        var status = await Portal(() => client.Connectors.StatusAsync(ConnectorId, lineId, cancellationToken));
        var state = !status.Status ? (status.Configured ? ConnectorState.Error : ConnectorState.NotConnected) : ConnectorState.Connected;
        return new OpenLineSummary(lineId, line?.Name ?? $"#{lineId}", line?.Active ?? false, state);
    }

    private static async Task<List<OpenLine>> ListAllAsync(Bitrix24Client client, CancellationToken cancellationToken)
    {
        var lines = new List<OpenLine>();
        await foreach (var line in client.OpenLines.ListAsync(cancellationToken: cancellationToken)) lines.Add(line);
        return lines;
    }

    private static ConnectorState StateOf(System.Text.Json.JsonElement status) =>
        Bitrix24Json.Bool(status, "STATUS") ? ConnectorState.Connected
        : Bitrix24Json.Bool(status, "CONFIGURED") ? ConnectorState.Error
        : ConnectorState.NotConnected;

    /// <summary>
    /// The portal is the truth about a line's connection: our send gate follows what it says, unless the gate changed
    /// after the portal was asked (<paramref name="before"/> is the gate's record then), which the answer cannot know of.
    /// </summary>
    private void Reconcile(string memberId, int lineId, ConnectorState state, (LineConnectionState State, DateTime ChangedAt)? before)
    {
        var record = connections.Get(memberId, lineId);
        var now = record is null ? ((LineConnectionState, DateTime)?)null : (record.State, record.ChangedAt);
        if (now != before) return;
        var known = record?.State;
        if (state == ConnectorState.Connected && known != LineConnectionState.Connected) connections.MarkConnected(memberId, lineId);
        else if (state != ConnectorState.Connected && known == LineConnectionState.Connected) connections.MarkDisconnected(memberId, lineId);
    }

    private async Task RequireAdminAsync(PortalSession session, string action, CancellationToken cancellationToken)
    {
        // An ended session (uninstall, changed role) keeps no administrator rights, and the portal is asked again
        // whether this user still administers it (answers cached briefly: IPortalSessions.ConfirmAdminAsync).
        if (!session.IsAdmin || (sessions is not null && !await sessions.ConfirmAdminAsync(session, cancellationToken)))
            throw new UnauthorizedAccessException($"Only a portal administrator can {action}.");
    }

    /// <summary>Turns the portal's refusal into a reason a person can act on.</summary>
    private static async Task<T> Portal<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Bitrix24Exception ex) when (ex.ErrorCode == ConfigNotFound)
        {
            throw new OperationFailedException(new LocalText("Problem.ConfigNotFound"), ex);
        }
        catch (Bitrix24Exception ex)
        {
            // The UI tells a known code as a sentence in the user's language; others as "The portal refused: CODE …".
            throw new OperationFailedException(new LocalText("Problem.PortalRefused", ex.ErrorCode, ex.ErrorDescription ?? ""), ex)
            {
                PortalErrorCode = ex.ErrorCode,
            };
        }
    }
}
