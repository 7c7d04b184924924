using System.Collections.Concurrent;
using LineBridge.Bitrix24;
using LineBridge.Components;
using LineBridge.Components.Localization;
using LineBridge.Components.Portal;
using LineBridge.Install;
using LineBridge.Storage;
using Microsoft.AspNetCore.DataProtection;

namespace LineBridge.Placement;

/// <summary>
/// Opens the sessions the placement endpoint signed into tickets (<see cref="IPortalSessions"/> for the UI), and keeps
/// the server-side record of every session opened. A ticket opens one session, once: the page opens it when its
/// interactive circuit starts (prerendering opens nothing, and a reconnect of the same circuit keeps its session), so
/// a copied URL, a reload or another browser gets nothing and re-enters through the portal's frame POST. Sessions can
/// be ended (uninstall, a changed role); administrator actions call <see cref="ConfirmAdminAsync"/>, which re-checks the
/// role with the portal (<c>user.admin</c>) using the user's frame token, kept encrypted in memory only.
/// </summary>
public sealed class PortalSessions(
    PlacementTickets tickets, PortalStore store, TimeProvider time, Bitrix24ClientFactory clients, VerificationLimiter limiter,
    IDataProtectionProvider dataProtection, ILogger<PortalSessions> logger) : IPortalSessions
{
    private sealed class OpenSession(string memberId, int userId, bool isAdmin, DateTimeOffset openedAt, string? protectedToken)
    {
        public string MemberId { get; } = memberId;
        public int UserId { get; } = userId;
        public bool IsAdmin { get; } = isAdmin;
        public DateTimeOffset OpenedAt { get; } = openedAt;
        /// <summary>The user's <c>AUTH_ID</c> from the frame POST, encrypted; never stored, logged or sent to the browser.</summary>
        public string? ProtectedToken { get; } = protectedToken;
        /// <summary>One re-check at a time per session, so a burst of clicks waits for one answer.</summary>
        public SemaphoreSlim Checking { get; } = new(1, 1);
        public DateTimeOffset? ConfirmedAt;
        public volatile bool Ended;
    }

    /// <summary>
    /// How long the portal's "still an administrator" answer is trusted. A burst of administrator clicks (connect three
    /// lines, rotate a key) then costs one <c>user.admin</c> call; a demotion takes effect within this window at the latest
    /// (and at once on the user's next app open). One minute bounds the exposure to well below a human's reaction to
    /// a demotion, while keeping the load on the portal's verification path negligible.
    /// </summary>
    public static readonly TimeSpan AdminConfirmationLifetime = TimeSpan.FromSeconds(60);

    /// <summary>The user access tokens of frames wait here between the frame POST and the session's start (a ticket's lifetime).</summary>
    private readonly ConcurrentDictionary<string, (string ProtectedToken, DateTimeOffset Until)> _pendingTokens = new(StringComparer.Ordinal);

    private readonly IDataProtector _tokenProtector = dataProtection.CreateProtector("LineBridge.Placement.SessionToken.v1");

    /// <summary>How long an ended or idle session's record is kept (a session's ticket is useless long before).</summary>
    private static readonly TimeSpan Retention = TimeSpan.FromDays(2);

    private readonly ConcurrentDictionary<string, OpenSession> _byTicketId = new();
    private readonly ConcurrentDictionary<string, string> _ticketIds = new(StringComparer.Ordinal);

    public PortalSession? Open(string ticket)
    {
        var payload = tickets.Read(ticket);
        if (payload is null) return null;
        var portal = store.Find(payload.MemberId);
        if (portal is null || portal.Status == PortalStatus.Uninstalled) return null;
        var now = time.GetUtcNow();
        var token = _pendingTokens.TryRemove(payload.Id, out var pending) && pending.Until >= now ? pending.ProtectedToken : null;
        if (!_byTicketId.TryAdd(payload.Id, new OpenSession(payload.MemberId, payload.UserId, payload.IsAdmin, now, token)))
        {
            return null;
        }
        _ticketIds[ticket] = payload.Id;
        Prune(now);
        return new PortalSession
        {
            MemberId = payload.MemberId,
            PortalDomain = portal.Domain,
            UserId = payload.UserId,
            UserName = payload.UserName,
            IsAdmin = payload.IsAdmin,
            Language = payload.Language,
            Placement = payload.Placement,
            ConnectorPlacement = payload is { Connector: { } connector, LineId: { } line } ? new ConnectorPlacement(connector, line) : null,
            TimeZone = payload.TimeZone,
            Ticket = ticket,
        };
    }

    public bool IsCurrent(PortalSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        // Sessions exist only server-side (the circuit holds them), so what matters is whether this one was ended.
        var ended = _ticketIds.TryGetValue(session.Ticket, out var id) && _byTicketId.TryGetValue(id, out var open) && open.Ended;
        return !ended && store.Find(session.MemberId) is { Status: not PortalStatus.Uninstalled };
    }

    /// <summary>
    /// Keeps the frame's user access token (<c>AUTH_ID</c>, already verified) for the session the ticket
    /// <paramref name="ticketId"/> will open, so administrator actions can re-check the role with the portal.
    /// Encrypted with Data Protection and held in memory only; dropped when the ticket expires unused.
    /// </summary>
    public void KeepUserToken(string ticketId, string authId)
    {
        var now = time.GetUtcNow();
        _pendingTokens[ticketId] = (_tokenProtector.Protect(authId), now + PlacementTickets.Lifetime);
        foreach (var (id, pending) in _pendingTokens)
        {
            if (pending.Until < now) _pendingTokens.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Re-checks an administrator's role with the portal before an administrator action: <c>user.current</c> (must be
    /// the session's user) and <c>user.admin</c>, called with the session's user token at the portal's stored, proven
    /// address through the verification client (one attempt, no draw on the portal's delivery budget) under the
    /// <see cref="VerificationLimiter"/>. A positive answer is trusted for <see cref="AdminConfirmationLifetime"/>.
    /// A negative answer, a token the portal refuses or another user ends the session (the user re-opens the app
    /// from the portal and gets the role the portal reports).
    /// </summary>
    /// <exception cref="OperationFailedException">
    /// The portal did not answer, or answered with a passing fault (rate limit, 5xx), or too many checks run at once:
    /// nothing was decided, the session stays, and the message tells the user to try again. A passing fault must not
    /// read as "you are not an administrator"; the check is not retried here (verification calls never are).
    /// </exception>
    public async Task<bool> ConfirmAdminAsync(PortalSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.IsAdmin || !IsCurrent(session)) return false;
        // A session this process never opened from a ticket was made in code, not by a browser (which only gets sessions
        // through Open): like IsCurrent, it keeps the role it was made with.
        if (!_ticketIds.TryGetValue(session.Ticket, out var id) || !_byTicketId.TryGetValue(id, out var open)) return true;
        if (open.ProtectedToken is null) return false;

        await open.Checking.WaitAsync(cancellationToken);
        try
        {
            if (open.Ended) return false;
            if (open.ConfirmedAt is { } at && time.GetUtcNow() - at < AdminConfirmationLifetime) return true;
            if (store.Find(open.MemberId) is not { Status: not PortalStatus.Uninstalled } portal ||
                !Uri.TryCreate(portal.ClientEndpoint, UriKind.Absolute, out var restBase))
            {
                return false;
            }

            using var lease = await limiter.AcquireAsync($"session:{open.MemberId}:{open.UserId}", cancellationToken);
            if (lease is null)
            {
                throw new OperationFailedException(new LocalText("Problem.RoleCheckBusy"));
            }
            var client = clients.ForVerification(new UserCredentials(open.MemberId, restBase, _tokenProtector.Unprotect(open.ProtectedToken)));
            bool stillAdmin;
            try
            {
                var user = await client.Users.CurrentAsync(cancellationToken);
                stillAdmin = user.Id == open.UserId && await client.Users.IsAdminAsync(cancellationToken);
            }
            catch (Bitrix24Exception ex) when (!Bitrix24Refusals.IsTokenRefused(ex) && ex.ErrorCode != Bitrix24Errors.ExpiredToken)
            {
                // The portal did not answer, or answered with a passing fault (rate limit, 5xx): it has said nothing about
                // the role, so this action is not done, the session stays, and the user is told to try again.
                logger.LogWarning("Could not re-check the role of user {UserId} on {PortalDomain} ({ErrorCode})", open.UserId, portal.Domain, ex.ErrorCode);
                throw new OperationFailedException(new LocalText("Problem.RoleNotConfirmed", ex.ErrorCode), ex);
            }
            catch (Bitrix24Exception ex)
            {
                // An expired or revoked frame token can no longer prove the role: the user re-opens the app from the portal.
                logger.LogInformation("The portal refused the session token of user {UserId} on {PortalDomain} ({ErrorCode})", open.UserId, portal.Domain, ex.ErrorCode);
                stillAdmin = false;
            }
            if (!stillAdmin)
            {
                EndIfRoleChanged(open.MemberId, open.UserId, isAdmin: false);
                open.Ended = true;
                logger.LogInformation("User {UserId} of {PortalDomain} is no longer confirmed as an administrator: their sessions end", open.UserId, portal.Domain);
                return false;
            }
            open.ConfirmedAt = time.GetUtcNow();
            return true;
        }
        finally
        {
            open.Checking.Release();
        }
    }

    /// <summary>Ends every session of a portal (uninstall), or of one user of it.</summary>
    public void End(string memberId, int? userId = null)
    {
        foreach (var open in _byTicketId.Values.Where(s => s.MemberId == memberId && (userId is null || s.UserId == userId))) open.Ended = true;
    }

    /// <summary>Ends a user's sessions that hold another role than the portal now reports (a promotion or a demotion).</summary>
    public void EndIfRoleChanged(string memberId, int userId, bool isAdmin)
    {
        foreach (var open in _byTicketId.Values.Where(s => s.MemberId == memberId && s.UserId == userId && s.IsAdmin != isAdmin)) open.Ended = true;
    }

    public Task<PortalState> GetStateAsync(PortalSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var state = store.Find(session.MemberId)?.Status switch
        {
            PortalStatus.Installed => PortalState.Ready,
            PortalStatus.NeedsReauthorization => PortalState.NeedsReauthorization,
            PortalStatus.PaymentRequired => PortalState.PaymentRequired,
            _ => PortalState.Uninstalled,
        };
        return Task.FromResult(state);
    }

    private void Prune(DateTimeOffset now)
    {
        if (_byTicketId.Count < 1024) return;
        foreach (var (id, open) in _byTicketId)
        {
            if (now - open.OpenedAt > Retention) _byTicketId.TryRemove(id, out _);
        }
        foreach (var (ticket, id) in _ticketIds)
        {
            if (!_byTicketId.ContainsKey(id)) _ticketIds.TryRemove(ticket, out _);
        }
    }
}
