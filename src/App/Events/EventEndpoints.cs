using LineBridge.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LineBridge.Events;

public static class EventEndpoints
{
    /// <summary><c>POST /events</c>: the portal's event queue (form-encoded, bracket keys, §6.2).</summary>
    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/events", ReceiveAsync).DisableAntiforgery();
        return endpoints;
    }

    internal static async Task<Results<Ok<string>, ProblemHttpResult>> ReceiveAsync(
        HttpContext http, PortalStore store, IEnumerable<IPortalEventHandler> handlers, TimeProvider time, ILoggerFactory loggers,
        CancellationToken cancellationToken)
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

        // Tokens stay here: handlers get the event without auth[...].
        var data = fields.Where(f => !f.Key.StartsWith("auth[", StringComparison.OrdinalIgnoreCase) && !f.Key.Equals("auth", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(f => f.Key, f => f.Value, StringComparer.OrdinalIgnoreCase);
        var portalEvent = new PortalEvent(name, portal!.MemberId, data, time.GetUtcNow());
        foreach (var handler in handlers.Where(h => h.Handles(name)))
        {
            try
            {
                await handler.HandleAsync(portalEvent, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The portal never re-delivers, so one failing feature must not cost the others their event.
                logger.LogError(ex, "Handler {Handler} failed on event {EventName} of portal {PortalDomain}", handler.GetType().Name, name, portal.Domain);
            }
        }
        return TypedResults.Ok("OK");
    }

    private static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: "Event refused");
}
