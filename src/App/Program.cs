using LineBridge.Components;
using LineBridge.Install;
using LineBridge.Placement;
using LineBridge.SandboxMode;
using LineBridge.Storage;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

// Storage: one LiteDB file and the data-protection key ring beside it.
builder.AddStorage();
// No real portal configured: run the sandbox portal in this process and use it.
await builder.AddSandboxPortalAsync();
// Bitrix24: options, typed client, portal registry, install, events, iframe sessions.
builder.AddBitrix24App();
// UI: Blazor Server + MudBlazor.
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

var app = builder.Build();

app.UseAntiforgery();
app.MapStaticAssets();
// Portal entry points: POST /install, /events, /placement.
app.MapBitrix24Endpoints();
// Pages; only the configured portals may frame them.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o =>
    o.ContentSecurityFrameAncestorsPolicy = Framing.FrameAncestorsPolicy(app.Services));

app.UseSandboxPortal();
app.PrintStartupBanner();

app.Run();

public partial class Program;
