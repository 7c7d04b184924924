using LineBridge.Components;
using LineBridge.SandboxMode;
using LineBridge.Storage;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

// Storage: one LiteDB file and the key ring that encrypts tokens at rest.
builder.AddStorage();

// No real portal configured: run the sandbox portal in this process and use it.
await builder.AddSandboxPortalAsync();

// The UI: Blazor Server everywhere, MudBlazor.
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

var app = builder.Build();

app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.UseSandboxPortal();
app.PrintStartupBanner();

app.Run();

public partial class Program;
