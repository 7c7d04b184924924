using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox;

/// <summary>Run-time control of injected faults: errors, latency, dropped connections, lost responses, token expiry.</summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly SandboxCore _core;
    private FaultSettings _settings;
    private Random _random;

    internal FaultInjector(FaultSettings settings, SandboxCore core)
    {
        _core = core;
        _settings = settings.Clone();
        _random = NewRandom(settings.Seed);
    }

    /// <summary>A copy of the faults now in force.</summary>
    public FaultSettings Current
    {
        get { lock (_gate) return _settings.Clone(); }
    }

    /// <summary>Replaces the faults in force (and reseeds the dice when a seed is given).</summary>
    public void Set(FaultSettings settings)
    {
        lock (_gate)
        {
            _settings = settings.Clone();
            _random = NewRandom(settings.Seed);
        }
    }

    /// <summary>Stops all faults.</summary>
    public void Clear() => Set(new FaultSettings());

    /// <summary>Makes every access token issued so far expire now, on every portal (REST then answers 401 <c>expired_token</c>).</summary>
    public void ExpireAccessTokens()
    {
        lock (_core.Gate)
        {
            _core.ExpireAccessTokens(null);
            _core.SaveIfDirty();
        }
    }

    internal FaultDecision Decide(string method)
    {
        lock (_gate)
        {
            var s = _settings;
            if (s.Methods.Count > 0 && !s.Methods.Contains(method, StringComparer.OrdinalIgnoreCase)) return FaultDecision.None;
            var kind = FaultKind.None;
            var roll = _random.NextDouble();
            double edge = 0;
            if (roll < (edge += s.DropRate)) kind = FaultKind.Drop;
            else if (roll < (edge += s.ErrorRate)) kind = FaultKind.InternalError;
            else if (roll < (edge += s.UnavailableRate)) kind = FaultKind.Unavailable;
            else if (roll < (edge += s.LostResponseRate)) kind = FaultKind.LostResponse;
            return new FaultDecision(kind, s.Latency, s.UnavailableErrorCode);
        }
    }

    private static Random NewRandom(int? seed) => seed is { } value ? new Random(value) : new Random();
}

internal enum FaultKind { None, Drop, InternalError, Unavailable, LostResponse }

internal sealed record FaultDecision(FaultKind Kind, TimeSpan Latency, string UnavailableCode)
{
    public static readonly FaultDecision None = new(FaultKind.None, TimeSpan.Zero, "");
}
