using System.Security.Cryptography;
using System.Text.Json;
using LineBridge.Components.Portal;
using Microsoft.AspNetCore.DataProtection;

namespace LineBridge.Placement;

/// <summary>
/// The signed, time-limited ticket the placement endpoint hands the Blazor page (no third-party cookies in a
/// cross-site frame). Data Protection encrypts and signs it; the payload binds portal and user.
/// </summary>
public sealed class PlacementTickets(IDataProtectionProvider dataProtection, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    private readonly ITimeLimitedDataProtector _protector =
        dataProtection.CreateProtector("LineBridge.Placement.Ticket.v1").ToTimeLimitedDataProtector();

    public string Issue(TicketPayload payload) =>
        _protector.Protect(JsonSerializer.Serialize(payload), time.GetUtcNow().Add(Lifetime));

    /// <summary>The payload, or null when the ticket is forged, tampered with or expired.</summary>
    public TicketPayload? Read(string? ticket)
    {
        if (string.IsNullOrEmpty(ticket)) return null;
        try
        {
            var json = _protector.Unprotect(ticket, out var expiration);
            if (expiration < time.GetUtcNow()) return null;
            return JsonSerializer.Deserialize<TicketPayload>(json);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or JsonException)
        {
            return null;
        }
    }
}

/// <summary>What a ticket stands for. <paramref name="TimeZone"/>: the user's <c>TIME_ZONE</c> from <c>user.current</c>, if set.</summary>
public sealed record TicketPayload(
    string MemberId, string PortalDomain, int UserId, string UserName, bool IsAdmin, string Language, string Placement,
    string? Connector, int? LineId, string? TimeZone = null);
