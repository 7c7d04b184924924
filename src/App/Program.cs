using LineBridge.Components;
using LineBridge.Health;
using LineBridge.Observability;
using LineBridge.Install;
using LineBridge.Messages;
using LineBridge.OpenLines;
using LineBridge.Placement;
using LineBridge.Proxy;
using LineBridge.Replies;
using LineBridge.SandboxMode;
using LineBridge.Storage;
using LineBridge.Ui;

var builder = WebApplication.CreateBuilder(args);

// `migrate`: bring the PostgreSQL schema to this build's version, then exit (see docs/deploy.md).
if (StorageCommands.IsMigrate(args))
{
    Environment.ExitCode = StorageCommands.RunMigrate(builder.Configuration, Console.Out, Console.Error);
    return;
}

// Storage: one LiteDB file and the data-protection key ring beside it.
builder.AddStorage();
// No real portal configured: run the sandbox portal in this process and use it.
await builder.AddSandboxPortalAsync();
// Bitrix24: options, typed client, portal registry, install, events, iframe sessions.
builder.AddBitrix24App();
// Messages: the log, the durable outbox and its dispatcher, edits, API keys, the external API.
builder.AddMessages();
// The external API's per-key rate limit (429 with Retry-After).
builder.Services.AddApiRateLimiting();
// Replies: operators' answers forwarded to each line's signed webhook.
builder.AddReplies();
// Open lines: the portal's lines and the connector on them, for the UI.
builder.AddOpenLines();
// UI: Blazor Server + MudBlazor; idle browser connections closed after 10 s unless behind a proxy (Ui:IdleConnectionTimeout).
builder.AddUi();
// Health: /health/live, /health/ready (the database answers).
builder.AddHealth();
// Metrics through OpenTelemetry (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set).
builder.AddObservability();
// Behind a reverse proxy: trust X-Forwarded-For/-Proto from the proxies listed in ForwardedHeaders (docs/deploy.md).
builder.AddForwardedHeadersFromSettings();

var app = builder.Build();

// The client's address and scheme as a trusted proxy forwarded them, before anything reads them.
app.UseForwardedHeadersFromSettings();
// Health first: /health/live, /health/ready answer before anything that needs the database.
app.UseHealthEndpoints();

// No page or endpoint leaks its URL (a ticket, a portal address) to the sites it links to.
app.Use((context, next) =>
{
    context.Response.Headers["Referrer-Policy"] = "no-referrer";
    return next(context);
});
app.UseFramingPolicy();
app.UseRateLimiter();
app.UseAntiforgery();
app.MapStaticAssets();
// Portal entry points: POST /install, /events, /placement.
app.MapBitrix24Endpoints();
// The external system's API: /api/v1/...
app.MapMessageApi();
// Pages; only the configured portals may frame them.
// Framing is decided per request (installed portals' origins) by UseFramingPolicy, not by a fixed value here.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);

app.UseOpenLines();
app.UseSandboxPortal();
app.PrintStartupBanner();

app.Run();

public partial class Program;
