using System.Globalization;
using LineBridge.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LineBridge.Events;

public static class EventEndpoints
{
    /// <summary>The events LineBridge binds and keeps; any other name is answered 200 and dropped.</summary>
    public static readonly IReadOnlySet<string> KeptEvents = new HashSet<string>(StringComparer.Ordinal)
    {
        PortalEventNames.AppUninstall, PortalEventNames.MessageAdd, PortalEventNames.MessageUpdate, PortalEventNames.MessageDelete,
        PortalEventNames.StatusDelete, PortalEventNames.LineDelete,
    };

    /// <summary><c>POST /events</c>: the portal's event queue (form-encoded, bracket keys, §6.2).</summary>
    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/events", ReceiveAsync).DisableAntiforgery();
        return endpoints;
    }

    /// <summary>
    /// Checks what can be checked without the portal (known portal, application token when one is stored, <c>ts</c>
    /// inside the window, not an exact repeat), writes the event to the durable <see cref="EventInbox"/> and answers at
    /// once: the portal's queue slows down or drops deliveries to slow handlers. The application token reaches every
    /// user who opens the app, so it proves nothing on its own: nothing changes until the <see cref="EventProcessor"/>
    /// has confirmed the event with the portal using the app's own tokens.
    /// </summary>
    internal static async Task<Results<Ok<string>, ProblemHttpResult>> ReceiveAsync(
        HttpContext http, PortalStore store, EventInbox inbox, EventSignal signal, IOptions<EventOptions> options, TimeProvider time,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType) return Problem(400, "An event must be a form POST (application/x-www-form-urlencoded).");
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var name = fields.GetValueOrDefault("event")?.ToUpperInvariant();
        if (string.IsNullOrEmpty(name)) return Problem(400, "The POST lacks the event field.");

        var memberId = fields.GetValueOrDefault("auth[member_id]");
        var portal = string.IsNullOrEmpty(memberId) ? null : store.Find(memberId);
        var known = portal is not null && portal.Status != PortalStatus.Uninstalled;
        var problem = EventVerification.Verify(memberId, fields.GetValueOrDefault("auth[application_token]"), known, portal?.ApplicationToken);
        var logger = loggers.CreateLogger(typeof(EventEndpoints));
        if (problem is not null)
        {
            logger.LogWarning("Refused event {EventName} for member {MemberId}: {Reason}", name, memberId, problem);
            return Problem(401, problem);
        }
        if (!KeptEvents.Contains(name)) return TypedResults.Ok("OK");

        var o = options.Value;
        var now = time.GetUtcNow();
        if (!long.TryParse(fields.GetValueOrDefault("ts"), NumberStyles.None, CultureInfo.InvariantCulture, out var ts) || ts > 32_503_680_000)
        {
            return Problem(400, "The event lacks ts (the unix time the portal's queue sent it).");
        }
        var sentAt = DateTimeOffset.FromUnixTimeSeconds(ts);
        if (sentAt < now - o.MaxAge)
        {
            return Problem(400, $"The event is older than {o.MaxAge.TotalHours:0} hours (ts {ts}); LineBridge does not apply events that old.");
        }
        if (sentAt > now + o.MaxClockSkew)
        {
            return Problem(400, $"The event's ts ({ts}) lies in the future; check the clock of the sender.");
        }
        if (inbox.CountOpen(portal!.MemberId) >= o.MaxPendingPerPortal)
        {
            logger.LogError("The event inbox of portal {PortalDomain} is full ({Count} open events); refusing {EventName}", portal.Domain, o.MaxPendingPerPortal, name);
            return Problem(503, "LineBridge has too many unconfirmed events of this portal waiting; try again later.");
        }

        // Tokens stay here: the inbox and the handlers get the event without auth[...].
        var data = fields.Where(f => !f.Key.StartsWith("auth[", StringComparison.OrdinalIgnoreCase) && !f.Key.Equals("auth", StringComparison.OrdinalIgnoreCase)
                                     && !f.Key.Equals("event_handler_id", StringComparison.OrdinalIgnoreCase) && !f.Key.Equals("eventId", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var added = inbox.TryAdd(new InboxEvent
        {
            MemberId = portal.MemberId,
            Name = name,
            Fingerprint = EventInbox.Fingerprint(portal.MemberId, name, ts, data),
            SentAt = sentAt.UtcDateTime,
            ReceivedAt = now.UtcDateTime,
            Fields = [.. data.Select(f => new InboxField { Key = f.Key, Value = f.Value })],
            State = InboxState.Pending,
            NextAttemptAt = now.UtcDateTime,
        });
        if (!added)
        {
            logger.LogWarning("Refused a repeat of event {EventName} for portal {PortalDomain}", name, portal.Domain);
            return Problem(409, "This exact event was already received; repeats are not applied.");
        }
        signal.Notify();
        return TypedResults.Ok("OK");
    }

    private static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: "Event refused");
}
