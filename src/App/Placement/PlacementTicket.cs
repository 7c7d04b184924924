using System.Security.Cryptography;
using System.Text.Json;
using LineBridge.Components.Portal;
using Microsoft.AspNetCore.DataProtection;

namespace LineBridge.Placement;

/// <summary>
/// The signed, time-limited ticket the placement endpoint hands the Blazor page (no third-party cookies in a
/// cross-site frame). Data Protection encrypts and signs it; the payload binds portal and user. It opens one session
/// once (<see cref="PortalSessions"/>); the URL alone opens nothing after that.
/// </summary>
public sealed class PlacementTickets(IDataProtectionProvider dataProtection, TimeProvider time)
{
    /// <summary>
    /// How long a ticket can open a session: long enough for the frame's redirect and the circuit to connect on a slow
    /// connection, short enough that a ticket copied from a URL or a log is worthless. The session it opens lives on.
    /// </summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

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

/// <summary>What a ticket stands for. <see cref="Id"/> is unique per ticket: it opens one session, once.</summary>
public sealed record TicketPayload(
    string MemberId, string PortalDomain, int UserId, string UserName, bool IsAdmin, string Language, string Placement,
    string? Connector, int? LineId)
{
    public string Id { get; init; } = Guid.NewGuid().ToString("N");
}
