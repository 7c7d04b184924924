using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LineBridge.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LineBridge.Sandbox.Inspection;

/// <summary>
/// Test-only inspection and control under <c>/_sandbox/</c>, apart from the Bitrix24 surface, never faulted or
/// rate-limited. Per-portal views answer for the portal whose origin received the request.
/// </summary>
internal static class InspectionEndpoints
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(IEndpointRouteBuilder web, SandboxCore core)
    {
        var group = web.MapGroup("/_sandbox");
        group.MapGet("/state", (HttpContext http) => Json(State(core)));
        group.MapGet("/calls", (HttpContext http) => ForPortal(core, http, p => Json(p.Calls.Select(c => new
        {
            c.Time, c.Method, Parameters = JsonNode.Parse(c.Parameters), c.Status, c.Error, c.Webhook, c.Fault,
        }).ToList())));
        // The public part of the HTTPS listeners' generated certificate, for clients that must trust it (PEM).
        group.MapGet("/certificate", () => core.Certificate is { } certificate
            ? Results.Text(certificate.ExportCertificatePem(), "application/x-pem-file")
            : Results.NotFound(new { error = "NO_HTTPS_LISTENER", error_description = "No portal has an HTTPS listener; set SandboxPortalOptions.HttpsPort or pass an https:// URL in --urls." }));
        group.MapGet("/events", (HttpContext http) => ForPortal(core, http, p => Json(p.EventDeliveries)));
        group.MapGet("/faults", () => Json(FaultBody.From(core.Faults.Current)));
        group.MapPost("/faults", async (HttpContext http) =>
        {
            FaultBody? body;
            try { body = await JsonSerializer.DeserializeAsync<FaultBody>(http.Request.Body, s_json, http.RequestAborted); }
            catch (JsonException) { return Results.BadRequest(new { error = "INVALID_REQUEST", error_description = "Body must be a JSON fault description" }); }
            if (body is null) return Results.BadRequest(new { error = "INVALID_REQUEST", error_description = "Body must be a JSON fault description" });
            core.Faults.Set(body.ToSettings());
            if (body.ExpireTokens) core.Faults.ExpireAccessTokens();
            return Json(FaultBody.From(core.Faults.Current));
        });
        group.MapDelete("/faults", () =>
        {
            core.Faults.Clear();
            return Json(FaultBody.From(core.Faults.Current));
        });
        group.MapGet("/token", (HttpContext http) => ForPortal(core, http, portal =>
        {
            var userId = int.TryParse(http.Request.Query["user"], NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : 1;
            lock (core.Gate)
            {
                if (portal.State.Users.All(x => x.Id != userId || x.External)) return Results.NotFound(new { error = "USER_NOT_FOUND", error_description = "No such user" });
                if (!portal.State.AppAdded) return Results.NotFound(new { error = "APPLICATION_NOT_FOUND", error_description = "The app is not added to this portal" });
                var tokens = core.IssueTokens(portal.State, userId);
                core.SaveIfDirty();
                return Json(new JsonObject
                {
                    ["access_token"] = tokens.AccessToken,
                    ["refresh_token"] = tokens.RefreshToken,
                    ["expires_in"] = tokens.ExpiresIn,
                    ["user_id"] = userId,
                    ["member_id"] = portal.MemberId,
                    ["domain"] = portal.Domain,
                    ["client_endpoint"] = portal.RestUri.ToString(),
                });
            }
        }));
    }

    private static IResult ForPortal(SandboxCore core, HttpContext http, Func<SandboxPortal, IResult> handle)
    {
        var portal = core.PortalByPort(http.Connection.LocalPort, http.Connection.LocalIpAddress);
        return portal is null ? Results.NotFound() : handle(portal);
    }

    private static IResult Json(object value) => Results.Text(
        value is JsonNode node ? node.ToJsonString(s_json) : JsonSerializer.Serialize(value, s_json), "application/json; charset=utf-8");

    private static object State(SandboxCore core)
    {
        var portals = core.Portals.Select(p => new
        {
            p.MemberId,
            p.Domain,
            BaseUri = p.BaseUri.ToString(),
            RestUri = p.RestUri.ToString(),
            WebhookUri = p.WebhookUri.ToString(),
            p.AppAdded,
            p.AppInstalled,
            p.Users,
            p.OpenLines,
            p.Connectors,
            p.LineStatuses,
            p.EventBindings,
            p.Placements,
            p.Dialogs,
            Limits = new { p.Options.RequestsPerSecond, p.Options.Burst, p.Options.OperatingLimitSeconds, BucketLevel = Math.Round(p.BucketLevel, 3) },
        }).ToList();
        lock (core.Gate)
        {
            return new
            {
                App = new { core.State.ClientId, core.State.HandlerUrl, core.State.InstallUrl, core.State.Scopes },
                Portals = portals,
                core.Options.Switches,
            };
        }
    }

    private sealed class FaultBody
    {
        public double ErrorRate { get; set; }
        public double UnavailableRate { get; set; }
        public string? UnavailableErrorCode { get; set; }
        public double DropRate { get; set; }
        public double LostResponseRate { get; set; }
        public int LatencyMs { get; set; }
        public List<string>? Methods { get; set; }
        public int? Seed { get; set; }
        public bool ExpireTokens { get; set; }

        public FaultSettings ToSettings() => new()
        {
            ErrorRate = ErrorRate, UnavailableRate = UnavailableRate, UnavailableErrorCode = UnavailableErrorCode ?? ErrorCodes.QueryLimitExceeded,
            DropRate = DropRate, LostResponseRate = LostResponseRate, Latency = TimeSpan.FromMilliseconds(LatencyMs), Methods = Methods ?? [], Seed = Seed,
        };

        public static FaultBody From(FaultSettings s) => new()
        {
            ErrorRate = s.ErrorRate, UnavailableRate = s.UnavailableRate, UnavailableErrorCode = s.UnavailableErrorCode, DropRate = s.DropRate,
            LostResponseRate = s.LostResponseRate, LatencyMs = (int)s.Latency.TotalMilliseconds, Methods = s.Methods, Seed = s.Seed,
        };
    }
}
