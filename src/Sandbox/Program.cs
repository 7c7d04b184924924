var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "LineBridge sandbox portal");
app.Run();
