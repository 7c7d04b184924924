using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using LineBridge.Sandbox;

namespace LineBridge.OpenLines;

public static class OpenLinesServiceCollectionExtensions
{
    /// <summary>The UI's view of the portal's open lines, and what the start page says outside a portal.</summary>
    public static IHostApplicationBuilder AddOpenLines(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WebApplicationReference>();
        builder.Services.AddSingleton<PublicAddress>();
        builder.Services.AddSingleton<IOpenLineDirectory, OpenLineDirectory>();
        builder.Services.AddSingleton<IOutsidePortalInfo, OutsidePortalInfo>();
        return builder;
    }

    /// <summary>Lets <see cref="PublicAddress"/> read the addresses the app listens on.</summary>
    public static WebApplication UseOpenLines(this WebApplication app)
    {
        app.Services.GetRequiredService<WebApplicationReference>().App = app;
        return app;
    }
}

/// <summary>The start page links to the in-process sandbox portal when one runs.</summary>
internal sealed class OutsidePortalInfo(IServiceProvider services) : IOutsidePortalInfo
{
    public Uri? SandboxPortalUrl => services.GetService<SandboxHost>()?.Portals[0].BaseUri;
}
