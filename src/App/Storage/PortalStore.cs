using LiteDB;
using Microsoft.AspNetCore.DataProtection;

namespace LineBridge.Storage;

/// <summary>
/// The portal registry (LiteDB collection <c>portals</c>). Access and refresh tokens and the application token are
/// encrypted with ASP.NET Data Protection before they reach the file.
/// </summary>
public class PortalStore
{
    private readonly IPortalRecords _portals;
    private readonly IDataProtector _protector;
    private readonly TimeProvider _time;

    /// <summary>The store over the embedded LiteDB collection.</summary>
    public PortalStore(LiteDatabase database, IDataProtectionProvider dataProtection, TimeProvider time)
        : this(new LiteDb.LiteDbPortalRecords(database), dataProtection, time)
    {
    }

    /// <summary>The store over any provider's portal records.</summary>
    internal PortalStore(IPortalRecords records, IDataProtectionProvider dataProtection, TimeProvider time)
    {
        _portals = records;
        _protector = dataProtection.CreateProtector("LineBridge.Storage.PortalStore.v1");
        _time = time;
    }

    public virtual Portal? Find(string memberId)
    {
        if (string.IsNullOrEmpty(memberId)) return null;
        var document = _portals.Find(memberId);
        return document is null ? null : ToPortal(document);
    }

    public virtual IReadOnlyList<Portal> All() => _portals.All().Select(ToPortal).ToList();

    /// <summary>
    /// Every portal with its tokens and application token left null: for callers that need only who is installed and
    /// where (the framing policy). Decrypting three Data Protection payloads per portal costs more CPU than the rest of
    /// an API request, so these callers skip it.
    /// </summary>
    public virtual IReadOnlyList<Portal> AllWithoutSecrets() => _portals.All().Select(WithoutSecrets).ToList();

    /// <summary>
    /// The portal's status (installed, uninstalled, payment required, ...), or null when the portal is unknown; read
    /// without decrypting its tokens (the send API checks it on every request).
    /// </summary>
    public virtual PortalStatus? FindStatus(string memberId) =>
        string.IsNullOrEmpty(memberId) ? null : _portals.Find(memberId)?.Status;

    /// <summary>Inserts or replaces the portal; keeps the original install time.</summary>
    public virtual Portal Save(Portal portal)
    {
        ArgumentNullException.ThrowIfNull(portal);
        // LiteDB keeps milliseconds; trim so a saved portal equals what is read back.
        var now = _time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        var existing = _portals.Find(portal.MemberId);
        var newRefreshToken = !string.IsNullOrEmpty(portal.RefreshToken) &&
            (existing is null || Unprotect(existing.RefreshToken) != portal.RefreshToken);
        var saved = portal with
        {
            InstalledAt = existing is not null && portal.InstalledAt == default ? existing.InstalledAt : portal.InstalledAt == default ? now : portal.InstalledAt,
            UpdatedAt = now,
            RefreshTokenIssuedAt = newRefreshToken ? now : portal.RefreshTokenIssuedAt ?? existing?.RefreshTokenIssuedAt,
        };
        _portals.Upsert(ToDocument(saved));
        return saved;
    }

    /// <summary>Applies a change to the stored portal; null when the portal is unknown.</summary>
    public virtual Portal? Update(string memberId, Func<Portal, Portal> change)
    {
        var portal = Find(memberId);
        return portal is null ? null : Save(change(portal));
    }

    public virtual Portal? MarkNeedsReauthorization(string memberId, string reason) =>
        Update(memberId, p => p with { Status = PortalStatus.NeedsReauthorization, StatusReason = reason });

    /// <summary>The portal answered <c>PAYMENT_REQUIRED</c>; null when unknown. Tokens stay: they work again once it pays.</summary>
    public virtual Portal? MarkPaymentRequired(string memberId, string reason) =>
        Update(memberId, p => p.Status is PortalStatus.Installed or PortalStatus.PaymentRequired
            ? p with { Status = PortalStatus.PaymentRequired, StatusReason = reason }
            : p);

    /// <summary>A call succeeded again after <see cref="MarkPaymentRequired"/>: the portal paid.</summary>
    public virtual Portal? MarkPaid(string memberId) =>
        Update(memberId, p => p.Status == PortalStatus.PaymentRequired ? p with { Status = PortalStatus.Installed, StatusReason = null } : p);

    /// <summary>Wipes every secret (tokens, application token) and marks the portal uninstalled.</summary>
    public virtual Portal? MarkUninstalled(string memberId) =>
        Update(memberId, p => p with
        {
            Status = PortalStatus.Uninstalled, StatusReason = "The portal uninstalled LineBridge.",
            AccessToken = null, RefreshToken = null, AccessTokenExpiresAt = null, ApplicationToken = null,
        });

    private Portal ToPortal(PortalDocument d) => WithoutSecrets(d) with
    {
        AccessToken = Unprotect(d.AccessToken),
        RefreshToken = Unprotect(d.RefreshToken),
        ApplicationToken = Unprotect(d.ApplicationToken),
    };

    private static Portal WithoutSecrets(PortalDocument d) => new()
    {
        MemberId = d.Id,
        Domain = d.Domain,
        ClientEndpoint = d.ClientEndpoint,
        ServerEndpoint = d.ServerEndpoint,
        AccessTokenExpiresAt = d.AccessTokenExpiresAt,
        RefreshTokenIssuedAt = d.RefreshTokenIssuedAt,
        Scopes = d.Scopes,
        Language = d.Language,
        Status = d.Status,
        StatusReason = d.StatusReason,
        InstalledByUserId = d.InstalledByUserId,
        InstalledAt = d.InstalledAt,
        UpdatedAt = d.UpdatedAt,
    };

    private PortalDocument ToDocument(Portal p) => new()
    {
        Id = p.MemberId,
        Domain = p.Domain,
        ClientEndpoint = p.ClientEndpoint,
        ServerEndpoint = p.ServerEndpoint,
        AccessToken = Protect(p.AccessToken),
        RefreshToken = Protect(p.RefreshToken),
        AccessTokenExpiresAt = p.AccessTokenExpiresAt,
        RefreshTokenIssuedAt = p.RefreshTokenIssuedAt,
        ApplicationToken = Protect(p.ApplicationToken),
        Scopes = p.Scopes,
        Language = p.Language,
        Status = p.Status,
        StatusReason = p.StatusReason,
        InstalledByUserId = p.InstalledByUserId,
        InstalledAt = p.InstalledAt,
        UpdatedAt = p.UpdatedAt,
    };

    private string? Protect(string? secret) => string.IsNullOrEmpty(secret) ? null : _protector.Protect(secret);

    private string? Unprotect(string? stored) => string.IsNullOrEmpty(stored) ? null : _protector.Unprotect(stored);

    /// <summary>The stored shape: secrets only as Data Protection payloads.</summary>
    internal sealed class PortalDocument
    {
        public string Id { get; set; } = "";
        public string Domain { get; set; } = "";
        public string ClientEndpoint { get; set; } = "";
        public string? ServerEndpoint { get; set; }
        public string? AccessToken { get; set; }
        public string? RefreshToken { get; set; }
        public DateTimeOffset? AccessTokenExpiresAt { get; set; }
        public DateTimeOffset? RefreshTokenIssuedAt { get; set; }
        public string? ApplicationToken { get; set; }
        public string? Scopes { get; set; }
        public string? Language { get; set; }
        public PortalStatus Status { get; set; }
        public string? StatusReason { get; set; }
        public int? InstalledByUserId { get; set; }
        public DateTimeOffset InstalledAt { get; set; }
        public DateTimeOffset UpdatedAt { get; set; }
    }
}
