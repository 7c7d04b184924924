using LineBridge.Sandbox.Limits;
namespace LineBridge.Sandbox;

/// <summary>Settings of a <see cref="SandboxHost"/>: which portals it emulates, how long tokens live, faults at start.</summary>
public sealed class SandboxOptions
{
    /// <summary>The emulated portals; <c>Portals[0]</c> is the default portal. Defaults to one portal on localhost.</summary>
    public List<SandboxPortalOptions> Portals { get; set; } = [new SandboxPortalOptions()];

    /// <summary>Lifetime of issued access tokens (Bitrix24: 3600 s).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Lifetime of issued refresh tokens (current docs: 180 days).</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(180);

    /// <summary>Lifetime of an authorization code from <c>/oauth/authorize/</c> (Bitrix24: 30 s).</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When set, the whole portal state (app credentials, tokens, connectors, lines, chats) is saved to this JSON file
    /// after each change and reloaded at start, so an app restarted beside an in-process sandbox keeps working.
    /// </summary>
    public string? StateFile { get; set; }

    /// <summary>Faults active from the start; change them at run time through <see cref="SandboxHost.Faults"/>.</summary>
    public FaultSettings Faults { get; set; } = new();

    /// <summary>Add the local application to every portal at start (not yet installed). Otherwise the local-app form adds it.</summary>
    public bool SeedApp { get; set; } = true;

    /// <summary>Handler URL of the seeded app until <see cref="SandboxHost.ConfigureApp"/> changes it.</summary>
    public string HandlerUrl { get; set; } = "http://127.0.0.1:5080/placement";

    /// <summary>Initial installation URL of the seeded app until <see cref="SandboxHost.ConfigureApp"/> changes it.</summary>
    public string InstallUrl { get; set; } = "http://127.0.0.1:5080/install";

    /// <summary>Scopes of the seeded app.</summary>
    public string Scopes { get; set; } = "imopenlines,placement,im,imconnector";

    /// <summary>Behaviours the protocol reference marks UNCONFIRMED or SRC-ONLY; defaults follow its recommendation.</summary>
    public SandboxSwitches Switches { get; set; } = new();

    /// <summary>Timeout of one event delivery POST to the app.</summary>
    public TimeSpan EventDeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Host of the OAuth server's own listener (it plays <c>oauth.bitrix.info</c>): <c>localhost</c> or an IP literal.
    /// Null means the first portal's host. Its origin differs from every portal's, and it is what token answers name as
    /// <c>domain</c> and <c>server_endpoint</c>.
    /// </summary>
    public string? OAuthHost { get; set; }

    /// <summary>Port of the OAuth server's listener; 0 picks a free port.</summary>
    public int OAuthPort { get; set; }

    /// <summary>Optional logging setup; by default only warnings are logged, never request lines (they may carry secrets).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}

/// <summary>One emulated portal: its identity, address, language and plan limits.</summary>
public sealed class SandboxPortalOptions
{
    /// <summary>32 hex characters. Empty (the default) means a deterministic id from the portal's position in the list.</summary>
    public string MemberId { get; set; } = "";

    /// <summary>Listen host: <c>localhost</c> or an IP literal such as <c>127.0.0.2</c>.</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>Listen port; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Port of an additional HTTPS listener of this portal (same host, a certificate generated at start); null (the
    /// default) means none, 0 picks a free port. HTTPS-only clients such as the vendor SDK's <c>B24Hook</c> need it.
    /// </summary>
    public int? HttpsPort { get; set; }

    /// <summary>UI language of the portal's users (LANG in frames).</summary>
    public string Language { get; set; } = "en";

    /// <summary>Leak rate of the request bucket (Bitrix24: 2/s; Enterprise 5/s).</summary>
    public double RequestsPerSecond { get; set; } = 2;

    /// <summary>Bucket size: this many requests pass at once before <c>QUERY_LIMIT_EXCEEDED</c> (Bitrix24: 50; Enterprise 250).</summary>
    public int Burst { get; set; } = 50;

    /// <summary>Per-method operating-time budget over 10 minutes (docs example: 480 s). 0 turns the check off.</summary>
    public double OperatingLimitSeconds { get; set; } = 480;

    /// <summary>Simulated execution seconds added to each call's operating time, so tests reach the budget quickly.</summary>
    public double SimulatedCostSeconds { get; set; }

    /// <summary>Simulated execution seconds per method (lower-case name), added to <see cref="SimulatedCostSeconds"/>.</summary>
    public Dictionary<string, double> SimulatedCostByMethod { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The execution-cost model of the message methods (<c>imconnector.send/update/delete.messages</c>): seconds charged
    /// per element of <c>MESSAGES</c>, on top of the call's own time. The real server's work grows with the array
    /// (each element is a dialog lookup, a message row and a push), so a big call uses more of the method's operating
    /// budget (§5.2) than a small one. Default 1 ms: not a documented figure (Bitrix24 publishes none), but the
    /// order of a few indexed row writes on a PHP/MySQL server, and it makes the operating budget (480 s per 10
    /// minutes ≈ 780 elements/s) rather than the request bucket (2 calls/s × 500 elements) the binding limit at
    /// LineBridge's batch sizes, as the issue observes on real portals. The charged seconds are reported as the
    /// call's <c>time.processing</c>/<c>duration</c>, as the server reports the time it spent. 0 turns it off.
    /// </summary>
    public double CostPerMessageSeconds { get; set; } = 0.001;

    /// <summary>
    /// Seconds charged per call of the message methods on top of <see cref="CostPerMessageSeconds"/> (authorisation,
    /// REST dispatch, the answer). Default 10 ms; with the per-element cost it makes one big call cheaper than many
    /// small ones, as on the server.
    /// </summary>
    public double CostPerMessageCallSeconds { get; set; } = 0.01;

    /// <summary>
    /// The window of the operating-time budget (Bitrix24: 10 minutes). Shorter windows let tests and benchmarks meet the
    /// budget's steady state in seconds. Zero or less means the default.
    /// </summary>
    public TimeSpan OperatingWindow { get; set; } = OperatingBudget.DefaultWindow;

    /// <summary>How many open lines to seed (at least 3; line 3 is inactive).</summary>
    public int OpenLineCount { get; set; } = 3;

    /// <summary>
    /// The address the portal moves to when <see cref="SandboxPortal.Rename"/> is called: an IP literal such as
    /// <c>127.0.0.4</c>, listened on from the start (requests there find nothing until the rename). Null: no rename.
    /// </summary>
    public string? RenameHost { get; set; }

    /// <summary>Port of <see cref="RenameHost"/>; 0 picks a free port.</summary>
    public int RenamePort { get; set; }

    /// <summary>Plan status as <c>app.info.STATUS</c> and frames' <c>status</c>.</summary>
    public string PlanStatus { get; set; } = "L";

    /// <summary>A deterministic member id for the n-th portal.</summary>
    public static string DefaultMemberId(int n) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"linebridge-sandbox-portal-{n}")))[..32];
}

/// <summary>
/// Switches for behaviours the protocol reference marks UNCONFIRMED or SRC-ONLY. Defaults are what the reference
/// recommends designing against.
/// </summary>
public sealed class SandboxSwitches
{
    /// <summary>SRC-ONLY: <c>imconnector.unregister</c> fails with <c>APPLICATION_UNREGISTRATION_ERROR</c> when the connector has no line status rows.</summary>
    public bool UnregisterFailsWithoutStatusRows { get; set; } = true;

    /// <summary>SRC-ONLY: <c>connector.data.set</c> merges into the stored data (empty values ignored) instead of overwriting.</summary>
    public bool ConnectorDataSetMerges { get; set; } = true;

    /// <summary>UNCONFIRMED: texts over <see cref="MaxMessageLength"/> are cut and suffixed with <c> (...)</c>.</summary>
    public bool TruncateLongText { get; set; } = true;

    /// <summary>Maximum IM message text length.</summary>
    public int MaxMessageLength { get; set; } = 20000;

    /// <summary>UNCONFIRMED: <c>imopenlines.config.get</c> with an unknown id answers <c>result: false</c> (else 400 <c>CONFIG_NOT_FOUND</c>).</summary>
    public bool ConfigGetUnknownReturnsFalse { get; set; } = true;

    /// <summary>UNCONFIRMED: the old refresh token stops working at once after a refresh (else it stays valid for <see cref="RefreshGracePeriod"/>).</summary>
    public bool RefreshTokenSingleUse { get; set; } = true;

    /// <summary>Grace period of an old refresh token when <see cref="RefreshTokenSingleUse"/> is off.</summary>
    public TimeSpan RefreshGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>UNCONFIRMED: register flags sent as strings (<c>Y</c>, <c>1</c>, <c>true</c>) count as true (form bodies cannot send booleans).</summary>
    public bool RegisterFlagsAcceptStrings { get; set; } = true;

    /// <summary>UNCONFIRMED: <c>imconnector.chat.name.set</c> <c>USER_ID</c> is the external user id (else the Bitrix24 user id, as the lookup key in source).</summary>
    public bool ChatNameSetUserIdIsExternal { get; set; }

    /// <summary>SRC-ONLY: a message without <c>user.id</c> creates a new anonymous external user every time.</summary>
    public bool AnonymousUserPerMessage { get; set; } = true;

    /// <summary>UNCONFIRMED: whether a local app with UI receives <c>ONAPPINSTALL</c> when its install finishes.</summary>
    public bool SendOnAppInstallToUiApps { get; set; }

    /// <summary>UNCONFIRMED: frames with <c>PLACEMENT=DEFAULT</c> carry <c>PLACEMENT_OPTIONS</c> as <c>{}</c> (else the field is empty).</summary>
    public bool DefaultPlacementOptionsAsEmptyObject { get; set; }

    /// <summary>UNCONFIRMED: the event delivery field naming the binding (docs show both <c>event_handler_id</c> and <c>eventId</c>).</summary>
    public string EventHandlerIdField { get; set; } = "event_handler_id";

    /// <summary>SRC-ONLY: the token may come in an <c>Authorization: Bearer</c> header (docs only name the <c>auth</c> parameter).</summary>
    public bool AcceptBearerHeader { get; set; } = true;

    /// <summary>
    /// The queue server gives no order guarantee (§6.2): when true, every delivery waiting in the queue when the worker
    /// picks the next one goes out newest first. Use with <see cref="SandboxHost.HoldEvents"/> to line events up.
    /// </summary>
    public bool EventsOutOfOrder { get; set; }

    /// <summary>Older server builds: an inactive line answers <c>{"result":{"SUCCESS":false,"DATA":[]}}</c> instead of 400 <c>NOT_ACTIVE_LINE</c>.</summary>
    public bool NotActiveLineAsResult { get; set; }

    /// <summary>UNCONFIRMED: an update with files but no text replaces the text with an empty string (else the text stays).</summary>
    public bool UpdateWithFilesOnlyClearsText { get; set; }

    /// <summary>Send <c>ONIMCONNECTORDIALOGSTART</c> when a send opens a new session.</summary>
    public bool SendDialogStartEvents { get; set; } = true;
}

/// <summary>Faults the sandbox injects into REST calls (never into <c>/_sandbox/</c>, <c>/oauth/</c> or the pages).</summary>
public sealed class FaultSettings
{
    /// <summary>Share (0..1) of REST requests answering 500 <c>INTERNAL_SERVER_ERROR</c>.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Share (0..1) of REST requests answering 503 with <see cref="UnavailableErrorCode"/>.</summary>
    public double UnavailableRate { get; set; }

    /// <summary>Error code of injected 503 answers.</summary>
    public string UnavailableErrorCode { get; set; } = "QUERY_LIMIT_EXCEEDED";

    /// <summary>Share (0..1) of REST requests whose connection is aborted before processing.</summary>
    public double DropRate { get; set; }

    /// <summary>Share (0..1) of REST requests processed and then aborted: the effect happened, the client cannot know.</summary>
    public double LostResponseRate { get; set; }

    /// <summary>Latency added to every affected REST request.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>When non-empty, faults hit only these methods (case-insensitive; <c>batch</c> for batches).</summary>
    public List<string> Methods { get; set; } = [];

    /// <summary>Seed of the fault dice, for reproducible runs; null = random.</summary>
    public int? Seed { get; set; }

    /// <summary>A copy, so callers cannot change live settings behind the injector's back.</summary>
    public FaultSettings Clone() => new()
    {
        ErrorRate = ErrorRate, UnavailableRate = UnavailableRate, UnavailableErrorCode = UnavailableErrorCode,
        DropRate = DropRate, LostResponseRate = LostResponseRate, Latency = Latency, Methods = [.. Methods], Seed = Seed,
    };
}
