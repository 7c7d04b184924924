using LineBridge.Bitrix24;
using LineBridge.Components;
using LineBridge.Messages;
using LineBridge.Storage;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

// Storage, the typed Bitrix24 client, and the message log + outbox + send API (issue 4).
builder.AddStorage();
builder.Services.AddBitrix24Client();
builder.AddMessages();

var app = builder.Build();

app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapMessageApi();

app.Run();

public partial class Program;
