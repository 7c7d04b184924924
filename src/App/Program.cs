using LineBridge.Bitrix24;
using LineBridge.Components;
using LineBridge.Install;
using LineBridge.Messages;
using LineBridge.Placement;
using LineBridge.Storage;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

// Storage: one LiteDB file and the data-protection key ring beside it.
builder.AddStorage();
// Bitrix24: options, typed client, portal registry, install, events, iframe sessions.
builder.AddBitrix24App();
// Messages: the message log, durable outbox + dispatcher, edit service, API keys, line state (issue 4).
builder.AddMessages();
// UI: Blazor Server + MudBlazor.
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

var app = builder.Build();

app.UseAntiforgery();
app.MapStaticAssets();
// Portal entry points: POST /install, /events, /placement.
app.MapBitrix24Endpoints();
// The external system's API: /api/v1/lines/{lineId}/...
app.MapMessageApi();
// Pages; only the configured portals may frame them.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o =>
    o.ContentSecurityFrameAncestorsPolicy = Framing.FrameAncestorsPolicy(app.Services));

app.Run();

public partial class Program;
