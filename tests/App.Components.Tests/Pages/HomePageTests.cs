using Bunit;
using LineBridge.Components.Portal;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Components.Pages;

public sealed class HomePageTests : ComponentTestBase
{
    private sealed class SandboxInfo(Uri? url) : IOutsidePortalInfo
    {
        public Uri? SandboxPortalUrl => url;
    }

    [Fact]
    public void Render_LinksToTheSandboxPortal_WhenOneRuns()
    {
        Services.AddSingleton<IOutsidePortalInfo>(new SandboxInfo(new Uri("http://localhost:5090/")));

        var cut = Render<HomePage>();

        Assert.Equal("http://localhost:5090/", cut.Find("[data-testid=sandbox-link]").GetAttribute("href"));
    }

    [Fact]
    public void Render_ExplainsLineBridge_WithoutASandboxLink_WhenNoneRuns()
    {
        var cut = Render<HomePage>();

        Assert.Contains("open lines", cut.Markup);
        Assert.Empty(cut.FindAll("[data-testid=sandbox-link]"));
    }
}
