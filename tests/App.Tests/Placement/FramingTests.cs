using LineBridge.Infrastructure;
using LineBridge.Install;

namespace LineBridge.Placement;

public class FramingTests
{
    [Fact]
    public void InstallPolicy_AllowsSelf_CloudPortals_SelfHostedAndSandboxOrigins()
    {
        var policy = Framing.InstallPolicy(new Bitrix24AppOptions
        {
            FrameAncestors = ["https://*.bitrix24.com"], SelfHostedOrigins = ["https://portal.example.com"], SandboxOrigins = ["http://127.0.0.2:5090"],
        });

        Assert.Equal("'self' https://*.bitrix24.com https://portal.example.com http://127.0.0.2:5090", policy);
    }

    [Fact]
    public void DefaultCloudDomains_LeaveOutCustomerPublishedSites() =>
        Assert.DoesNotContain(new Bitrix24AppOptions().FrameAncestors, o => o.Contains("bitrix24.site", StringComparison.Ordinal) || o.Contains("bitrix24.shop", StringComparison.Ordinal));

    [Fact]
    public async Task Pages_AllowTheSandboxPortalToFrameThem_WithoutXFrameOptions()
    {
        await using var app = await SandboxedApp.StartAsync(install: false, cancellationToken: TestContext.Current.CancellationToken);

        var response = await app.Http.GetAsync("/", TestContext.Current.CancellationToken);

        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors", csp);
        Assert.Contains(app.Portal.BaseUri.GetLeftPart(UriPartial.Authority), csp);
        Assert.DoesNotContain("https://*.bitrix24.com", csp);
        Assert.False(response.Headers.Contains("X-Frame-Options"));
    }
}
