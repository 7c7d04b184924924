using System.Security.Cryptography;
using System.Text.Json;
using LineBridge.Sandbox.Events;
using LineBridge.Sandbox.Rest;

namespace LineBridge.Sandbox.State;

/// <summary>The shared heart of one sandbox: state, its lock, token issuing, persistence, events and faults.</summary>
internal sealed class SandboxCore
{
    private static readonly JsonSerializerOptions s_stateJson = new() { WriteIndented = true };
    private readonly List<SandboxPortal> _portals = [];

    public SandboxCore(SandboxOptions options, SandboxState state, TimeProvider time)
    {
        Options = options;
        State = state;
        Time = time;
        Faults = new FaultInjector(options.Faults, this);
        Events = new EventDispatcher(this);
    }

    /// <summary>Every read or write of <see cref="State"/> happens under this lock.</summary>
    public Lock Gate { get; } = new();
    public SandboxOptions Options { get; }
    public SandboxState State { get; }
    public TimeProvider Time { get; }
    public FaultInjector Faults { get; }
    public EventDispatcher Events { get; }
    public FileFetcher Files { get; } = new();
    public IReadOnlyList<SandboxPortal> Portals => _portals;
    public SandboxSwitches Switches => Options.Switches;
    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>
    /// The OAuth server's own host and port (it plays oauth.bitrix.info): an origin distinct from every portal's, so an
    /// app that takes a token answer's <c>domain</c> for the portal address fails here as it would on Bitrix24.
    /// </summary>
    public string OAuthDomain { get; set; } = "";
    public string ServerEndpoint => $"http://{OAuthDomain}/rest/";

    /// <summary>The certificate of the HTTPS listeners, or null when no portal has one.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; set; }

    public void AddPortal(SandboxPortal portal) => _portals.Add(portal);

    public SandboxPortal? PortalByPort(int localPort, System.Net.IPAddress? localAddress)
    {
        var matches = _portals.Where(p => p.Port == localPort || p.HttpsPort == localPort).ToList();
        if (matches.Count <= 1) return matches.FirstOrDefault();
        return matches.FirstOrDefault(p => localAddress is not null && p.Host == localAddress.ToString()) ?? matches[0];
    }

    public SandboxPortal? PortalByMemberId(string memberId) => _portals.FirstOrDefault(p => p.MemberId == memberId);

    public static string NewSecret(int bytes = 32) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    // ---- tokens ----

    public IssuedTokens IssueTokens(PortalState portal, int userId, bool withRefresh = true)
    {
        var now = Now;
        var access = NewSecret();
        var expires = now + Options.AccessTokenLifetime;
        State.AccessTokens[access] = new TokenRecord { MemberId = portal.MemberId, UserId = userId, Scope = State.Scopes, Expires = expires };
        string? refresh = null;
        if (withRefresh)
        {
            refresh = NewSecret();
            State.RefreshTokens[refresh] = new TokenRecord { MemberId = portal.MemberId, UserId = userId, Scope = State.Scopes, Expires = now + Options.RefreshTokenLifetime };
        }
        PruneTokens(now);
        MarkDirty();
        return new IssuedTokens(access, refresh, expires, (int)Options.AccessTokenLifetime.TotalSeconds, userId, State.Scopes);
    }

    public void RevokePortalTokens(string memberId)
    {
        foreach (var key in State.AccessTokens.Where(p => p.Value.MemberId == memberId).Select(p => p.Key).ToList()) State.AccessTokens.Remove(key);
        foreach (var key in State.RefreshTokens.Where(p => p.Value.MemberId == memberId).Select(p => p.Key).ToList()) State.RefreshTokens.Remove(key);
        MarkDirty();
    }

    public void ExpireAccessTokens(string? memberId)
    {
        var past = Now.AddSeconds(-1);
        foreach (var token in State.AccessTokens.Values.Where(t => memberId is null || t.MemberId == memberId)) token.Expires = past;
        MarkDirty();
    }

    private void PruneTokens(DateTimeOffset now)
    {
        // Keep expired access tokens for a day so they answer expired_token, not NO_AUTH_FOUND.
        foreach (var key in State.AccessTokens.Where(p => p.Value.Expires < now.AddDays(-1)).Select(p => p.Key).ToList()) State.AccessTokens.Remove(key);
        foreach (var key in State.RefreshTokens.Where(p => p.Value.Expires < now || (p.Value.RevokedAt is { } r && r < now.AddDays(-1))).Select(p => p.Key).ToList()) State.RefreshTokens.Remove(key);
    }

    // ---- persistence ----

    private bool _dirty;

    public void MarkDirty() => _dirty = true;

    /// <summary>Writes the state file if anything changed; call under <see cref="Gate"/>.</summary>
    public void SaveIfDirty()
    {
        if (!_dirty || Options.StateFile is null) return;
        _dirty = false;
        var path = Path.GetFullPath(Options.StateFile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(State, s_stateJson));
        File.Move(temp, path, overwrite: true);
    }

    public static SandboxState? Load(string? stateFile)
    {
        if (stateFile is null || !File.Exists(stateFile)) return null;
        return JsonSerializer.Deserialize<SandboxState>(File.ReadAllText(stateFile), s_stateJson);
    }
}

internal sealed record IssuedTokens(string AccessToken, string? RefreshToken, DateTimeOffset Expires, int ExpiresIn, int UserId, string Scope);
