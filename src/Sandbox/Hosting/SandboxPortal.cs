using System.Globalization;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.Events;
using LineBridge.Sandbox.Limits;
using LineBridge.Sandbox.Rest;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox;

/// <summary>
/// A live view of one emulated portal plus test controls that act as the portal's users would (each firing the events
/// the real portal fires). Snapshots are copies taken under the sandbox's lock.
/// </summary>
public sealed class SandboxPortal
{
    private readonly SandboxCore _core;
    private readonly List<RecordedCall> _calls = [];
    private readonly List<EventDeliveryRecord> _deliveries = [];
    private readonly Lock _logGate = new();

    internal SandboxPortal(SandboxCore core, SandboxPortalOptions options, PortalState state)
    {
        _core = core;
        Options = options;
        State = state;
        Bucket = new LeakyBucket(options.RequestsPerSecond, options.Burst, core.Time);
        Operating = new OperatingBudget(core.Time, options.OperatingWindow);
    }

    internal SandboxPortalOptions Options { get; }
    internal PortalState State { get; }
    internal SandboxCore Core => _core;
    internal LeakyBucket Bucket { get; }
    internal OperatingBudget Operating { get; }

    /// <summary>The portal's stable id (32 hex).</summary>
    public string MemberId => State.MemberId;

    /// <summary>Listen host (e.g. <c>127.0.0.2</c>).</summary>
    public string Host => Renamed ? Options.RenameHost! : Options.Host;

    /// <summary>The bound port (of the new domain after <see cref="Rename"/>).</summary>
    public int Port
    {
        get => Renamed ? RenamePort : _port;
        internal set => _port = value;
    }

    private int _port;
    private volatile bool _renamed;
    private volatile string? _redirectRestTo;

    /// <summary>The port the rename address listens on (0 without <see cref="SandboxPortalOptions.RenameHost"/>).</summary>
    internal int RenamePort { get; init; }

    /// <summary>True once <see cref="Rename"/> moved the portal to its new domain.</summary>
    public bool Renamed => _renamed;

    /// <summary>The domain before the rename, e.g. <c>127.0.0.2:5123</c>; equals <see cref="Domain"/> until then.</summary>
    public string FormerDomain => $"{Options.Host}:{_port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Renames the portal's domain (§4, "change-domen"): from now on the portal lives at
    /// <see cref="SandboxPortalOptions.RenameHost"/>; REST calls to the former address answer 302 with
    /// <c>Location</c> on the new one, and the token server reports the new <c>client_endpoint</c>.
    /// </summary>
    public void Rename()
    {
        if (Options.RenameHost is null || RenamePort == 0)
            throw new InvalidOperationException("Set SandboxPortalOptions.RenameHost to give the portal an address to move to.");
        _renamed = true;
    }

    /// <summary>
    /// Test control for a hostile network: REST calls to this portal answer 302 to <paramref name="location"/> (a base
    /// such as <c>http://127.0.0.1:9/rest/</c>; the method name is appended) while the token server still names the
    /// portal's real address. Null stops it.
    /// </summary>
    public void RedirectRestTo(Uri? location) => _redirectRestTo = location?.AbsoluteUri;

    /// <summary>Where a REST request that arrived on this local endpoint must go instead, or null to serve it here.</summary>
    internal Uri? RestRedirect(int localPort, System.Net.IPAddress? localAddress, string pathAndQuery)
    {
        if (_redirectRestTo is { } hijack) return new Uri(new Uri(hijack), pathAndQuery);
        if (_renamed && localPort == _port && (localAddress is null || Options.Host == "localhost" || localAddress.ToString() == Options.Host))
            return new Uri(new Uri(RestUri, "/"), "rest/" + pathAndQuery);
        return null;
    }

    /// <summary>True when a request on this local endpoint belongs to the portal (its current or former address).</summary>
    internal bool ListensOn(int localPort) => localPort == Port || (_renamed && localPort == _port);

    /// <summary>The bound port of the portal's HTTPS listener, or null when it has none (<see cref="SandboxPortalOptions.HttpsPort"/>).</summary>
    public int? HttpsPort { get; internal set; }

    /// <summary><c>https://{Host}:{HttpsPort}/</c>, or null without an HTTPS listener. Same portal, another origin.</summary>
    public Uri? HttpsBaseUri => HttpsPort is { } port ? new($"https://{Host}:{port.ToString(CultureInfo.InvariantCulture)}/") : null;

    /// <summary>The portal's domain as Bitrix24 reports it: host and port, e.g. <c>127.0.0.2:5123</c>.</summary>
    public string Domain => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary><c>http://{Domain}/</c>.</summary>
    public Uri BaseUri => new($"http://{Domain}/");

    /// <summary>The REST base (<c>client_endpoint</c>): <c>http://{Domain}/rest/</c>.</summary>
    public Uri RestUri => new(BaseUri, "rest/");

    /// <summary>The inbound webhook base of user 1, for calls without app context: <c>http://{Domain}/rest/1/{code}/</c>.</summary>
    public Uri WebhookUri => new(BaseUri, $"rest/1/{Read(() => State.WebhookCode)}/");

    /// <summary>The inbound webhook base of user 1 on the HTTPS listener, or null without one.</summary>
    public Uri? HttpsWebhookUri => HttpsBaseUri is { } https ? new(https, $"rest/1/{Read(() => State.WebhookCode)}/") : null;

    /// <summary>Every REST call received, in order (batch commands are not split out).</summary>
    public IReadOnlyList<RecordedCall> Calls
    {
        get { lock (_logGate) return [.. _calls]; }
    }

    /// <summary>Every event delivery attempt, in order, with its outcome once known.</summary>
    public IReadOnlyList<EventDelivery> EventDeliveries
    {
        get { lock (_logGate) return [.. _deliveries.Select(d => d.ToSnapshot())]; }
    }

    /// <summary>Whether the local app was added to this portal (seeded or through the local-app form).</summary>
    public bool AppAdded => Read(() => State.AppAdded);

    /// <summary>Whether the app's install finished (<c>app.info INSTALLED</c>).</summary>
    public bool AppInstalled => Read(() => State.AppInstalled);

    /// <summary>The app's <c>application_token</c> on this portal, or null if the app is not added.</summary>
    public string? ApplicationToken => Read(() => State.AppAdded ? State.ApplicationToken : null);

    /// <summary>Users (1 = administrator, 2 and 3 = operators; external users created by sends follow).</summary>
    public IReadOnlyList<UserInfo> Users => Read(() => State.Users.Select(u => new UserInfo(u.Id, u.Name, u.LastName, u.Admin, u.External)).ToList());

    /// <summary>Open lines (line 3 is inactive).</summary>
    public IReadOnlyList<OpenLineInfo> OpenLines => Read(() => State.Lines.Select(l => new OpenLineInfo(l.Id, l.Name, l.Active)).ToList());

    /// <summary>Registered connectors.</summary>
    public IReadOnlyList<ConnectorInfo> Connectors => Read(() => State.Connectors.Select(c =>
        new ConnectorInfo(c.Id, c.Name, c.PlacementHandler, c.OwnerClientId, new Dictionary<string, bool>(c.Flags))).ToList());

    /// <summary>Status rows of connectors on lines.</summary>
    public IReadOnlyList<LineStatusInfo> LineStatuses => Read(() => State.Statuses.Select(s =>
        new LineStatusInfo(s.Connector, s.Line, s.Active, s.Connection, s.Register, s.Error, new Dictionary<string, string>(s.Data))).ToList());

    /// <summary>Event bindings.</summary>
    public IReadOnlyList<EventBindingInfo> EventBindings => Read(() => State.Bindings.Select(b =>
        new EventBindingInfo(b.Id, b.Event, b.Handler, b.AuthType, b.Offline)).ToList());

    /// <summary>Placement bindings.</summary>
    public IReadOnlyList<PlacementInfo> Placements => Read(() => State.Placements.Select(p =>
        new PlacementInfo(p.Id, p.Placement, p.Handler, p.Title, p.ConnectorId)).ToList());

    /// <summary>Dialogs with their messages as the portal holds them.</summary>
    public IReadOnlyList<DialogInfo> Dialogs => Read(() => State.Dialogs.Select(ToInfo).ToList());

    /// <summary>The rate bucket's current level (requests not yet drained).</summary>
    public double BucketLevel => Bucket.Level;

    /// <summary>
    /// The query and form fields the portal would POST into a frame for <paramref name="userId"/>, with fresh user
    /// tokens. DEFAULT targets the install URL until the install finished, then the handler URL; SETTING_CONNECTOR
    /// targets the connector's PLACEMENT_HANDLER named in the options.
    /// </summary>
    public FramePost BuildFramePost(int userId, string placement = "DEFAULT", string? placementOptionsJson = null)
    {
        lock (_core.Gate)
        {
            var post = BuildFramePostLocked(userId, placement, placementOptionsJson, null, Options.Language);
            _core.SaveIfDirty();
            return post;
        }
    }

    /// <summary>Promotes a user to portal administrator or demotes them (<c>user.admin</c> answers accordingly from now on).</summary>
    public void SetAdmin(int userId, bool admin) => Write(() => State.Users.First(u => u.Id == userId).Admin = admin);

    /// <summary>Makes this portal's access tokens expire now.</summary>
    public void ExpireAccessTokens() => Write(() => _core.ExpireAccessTokens(MemberId));

    /// <summary>Marks the install finished, as <c>BX24.installFinish()</c> through the app page does.</summary>
    public void FinishInstall(int userId = 1) => Write(() => PortalActions.FinishInstall(this, userId));

    /// <summary>An operator writes in the dialog of <paramref name="externalChatId"/> on a line; fires ONIMCONNECTORMESSAGEADD. Returns the message id.</summary>
    public Task<int> OperatorReplyAsync(int lineId, string externalChatId, string text, int operatorUserId = 1) =>
        Task.FromResult(Write(() => PortalActions.OperatorReply(this, lineId, externalChatId, text, operatorUserId)));

    /// <summary>An operator edits their message; fires ONIMCONNECTORMESSAGEUPDATE only when it has a CONNECTOR_MID (§9.5).</summary>
    public Task OperatorEditAsync(int messageId, string text, int operatorUserId = 1) =>
        Task.FromResult(Write(() => PortalActions.OperatorEdit(this, messageId, text, operatorUserId)));

    /// <summary>An operator deletes their message; fires ONIMCONNECTORMESSAGEDELETE only when it has a CONNECTOR_MID.</summary>
    public Task OperatorDeleteAsync(int messageId, int operatorUserId = 1) =>
        Task.FromResult(Write(() => PortalActions.OperatorDelete(this, messageId, operatorUserId)));

    /// <summary>An operator closes the session of a dialog (by its Bitrix24 chat id); fires ONIMCONNECTORDIALOGFINISH. False if already closed.</summary>
    public bool CloseSession(int chatId, int operatorUserId = 1) => Write(() => PortalActions.CloseSession(this, chatId, operatorUserId));

    /// <summary>Disables a connector on a line as the Contact Center's Disable button does; fires ONIMCONNECTORSTATUSDELETE.</summary>
    public bool DisableConnector(string connectorId, int lineId, int userId = 1) =>
        Write(() => PortalActions.DeleteStatus(this, connectorId, lineId, userId));

    /// <summary>Connects a connector to a line as the Contact Center tile does (ACTIVE=Y only).</summary>
    public void ConnectConnector(string connectorId, int lineId) => Write(() => PortalActions.ConnectFromTile(this, connectorId, lineId));

    /// <summary>Deletes an open line; fires ONIMCONNECTORSTATUSDELETE per connector on it, then ONIMCONNECTORLINEDELETE.</summary>
    public bool DeleteLine(int lineId, int userId = 1) => Write(() => PortalActions.DeleteLine(this, lineId, userId));

    /// <summary>Uninstalls the app: ONAPPUNINSTALL, then its connectors, bindings and placements are removed and its tokens stop working. The app stays added (not installed) with a new application token.</summary>
    public void UninstallApp(bool clean = true) => Write(() => PortalActions.Uninstall(this, clean));

    /// <summary>
    /// Ends (true) or renews (false) the app's paid period on this portal. While it is over, every REST call with the
    /// app's tokens answers 402 <c>PAYMENT_REQUIRED</c> (§3.2), except <c>app.info</c>, which shows <c>PAYMENT_EXPIRED=Y</c>.
    /// </summary>
    public void RequirePayment(bool required = true) => Write(() => { State.PaymentRequired = required; _core.MarkDirty(); });

    /// <summary>Whether the app's paid period is over (see <see cref="RequirePayment"/>).</summary>
    public bool PaymentRequired => Read(() => State.PaymentRequired);

    internal FramePost BuildFramePostLocked(int userId, string placement, string? placementOptionsJson, string? appSid, string language)
    {
        var tokens = _core.IssueTokens(State, userId);
        var target = placement == "DEFAULT" || placementOptionsJson is null
            ? (State.AppInstalled ? _core.State.HandlerUrl : _core.State.InstallUrl)
            : PlacementTarget(placementOptionsJson);
        var query = new Dictionary<string, string>
        {
            ["DOMAIN"] = Domain,
            ["PROTOCOL"] = "0",
            ["LANG"] = language,
            ["APP_SID"] = appSid ?? SandboxCore.NewSecret(16),
        };
        var form = new Dictionary<string, string>
        {
            ["AUTH_ID"] = tokens.AccessToken,
            ["AUTH_EXPIRES"] = tokens.ExpiresIn.ToString(CultureInfo.InvariantCulture),
            ["REFRESH_ID"] = tokens.RefreshToken!,
            ["SERVER_ENDPOINT"] = _core.ServerEndpoint,
            ["APPLICATION_TOKEN"] = State.ApplicationToken,
            ["APPLICATION_SCOPE"] = _core.State.Scopes,
            ["member_id"] = MemberId,
            ["status"] = Options.PlanStatus,
            ["PLACEMENT"] = placement,
            ["PLACEMENT_OPTIONS"] = placementOptionsJson ?? (_core.Switches.DefaultPlacementOptionsAsEmptyObject ? "{}" : ""),
        };
        return new FramePost(new Uri(target), query, form);
    }

    private string PlacementTarget(string placementOptionsJson)
    {
        string? connector = null;
        try { connector = Php.AsString((JsonNode.Parse(placementOptionsJson) as JsonObject)?["CONNECTOR"]); }
        catch (System.Text.Json.JsonException) { }
        return State.Connectors.FirstOrDefault(c => c.Id == connector)?.PlacementHandler ?? _core.State.HandlerUrl;
    }

    internal void Record(RecordedCall call)
    {
        lock (_logGate) _calls.Add(call);
    }

    internal void AddDelivery(EventDeliveryRecord record)
    {
        lock (_logGate) _deliveries.Add(record);
    }

    internal void CompleteDelivery(EventDeliveryRecord record, int? status, string? failure, DateTimeOffset at)
    {
        lock (_logGate)
        {
            record.Status = status;
            record.Failure = failure;
            record.Completed = at;
        }
    }

    internal static DialogInfo ToInfo(DialogRecord d) => new(
        d.ChatId, d.SessionId, d.SessionClosed, d.UserCode, d.Connector, d.Line, d.ExternalChatId, d.UserId, d.Name,
        d.Messages.Select(m => new ChatMessageInfo(m.Id, m.AuthorId, m.FromOperator, m.Text, [.. m.ConnectorMid], m.Edited, m.Sending, m.Date)).ToList());

    private T Read<T>(Func<T> read)
    {
        lock (_core.Gate) return read();
    }

    private T Write<T>(Func<T> write)
    {
        lock (_core.Gate)
        {
            var result = write();
            _core.MarkDirty();
            _core.SaveIfDirty();
            return result;
        }
    }

    private void Write(Action write) => Write(() => { write(); return true; });
}
