using System.Net;
using System.Net.Http.Json;
using LineBridge.Infrastructure;

namespace LineBridge.Trust;

/// <summary>Issue 11 case 8: who may frame which page, data at rest, and the external API's per-key limit.</summary>
public sealed class FramingAndAtRestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string FrameAncestors(HttpResponseMessage response) =>
        string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));

    /// <summary>Case 8: customer-published hosts (<c>*.bitrix24.site</c>) frame nothing; cloud portal domains may frame only the install page.</summary>
    [Fact]
    public async Task Case8_InstallPage_IsFramableByCloudPortals_OtherPagesOnlyByInstalledPortals()
    {
        // No configured sandbox origins: the only way a portal's origin gets into the policy is by being installed.
        await using var app = await SandboxedApp.StartAsync(install: false,
            settings: new Dictionary<string, string?> { ["Bitrix24:SandboxOrigins:0"] = "" }, cancellationToken: Ct);
        var origin = app.Portal.BaseUri.GetLeftPart(UriPartial.Authority);

        var before = FrameAncestors(await app.Http.GetAsync("", Ct));
        var install = await app.InstallAsync(app.Portal, Ct);
        var after = FrameAncestors(await app.Http.GetAsync("", Ct));

        Assert.DoesNotContain(origin, before);
        Assert.DoesNotContain("bitrix24", before);
        Assert.Contains(origin, after);
        Assert.DoesNotContain("*.bitrix24.com", after);
        var installPolicy = FrameAncestors(install);
        Assert.Contains("https://*.bitrix24.com", installPolicy);
        Assert.DoesNotContain("bitrix24.site", installPolicy);
        Assert.False(install.Headers.Contains("X-Frame-Options"));
    }

    /// <summary>Case 8: the data folder and the database file are the owner's only.</summary>
    [Fact]
    public async Task Case8_DataFolderAndFiles_AreOwnerOnly()
    {
        if (OperatingSystem.IsWindows()) Assert.Skip("Unix permissions only (Windows folders inherit their parent's ACL).");
        else await AssertOwnerOnlyAsync();
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static async Task AssertOwnerOnlyAsync()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                    UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(app.DataDirectory) & others);
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(Path.Combine(app.DataDirectory, "keys")) & others);
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(Path.Combine(app.DataDirectory, "linebridge.db")) & others);
    }

    /// <summary>Case 8: one API key past its limit gets 429 with Retry-After; another key is not affected.</summary>
    [Fact]
    public async Task Case8_ExternalApi_IsRateLimitedPerKey()
    {
        await using var app = await SandboxedApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Api:RateLimit:RequestsPerSecond"] = "0.1", ["Api:RateLimit:Burst"] = "3",
        }, cancellationToken: Ct);
        var key = await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Messages.ApiKeys>(app.Services).RotateAsync(app.Portal.MemberId, Ct);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++) answers.Add(await GetAsync(app, key));
        var otherKey = await GetAsync(app, "lb_not-a-key");

        Assert.All(answers.Take(3), a => Assert.NotEqual(HttpStatusCode.TooManyRequests, a.StatusCode));
        var limited = answers[3];
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Contains("retry in", (await limited.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, otherKey.StatusCode);
    }

    private static Task<HttpResponseMessage> GetAsync(SandboxedApp app, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/lines/1/chats/c/messages/m");
        request.Headers.Authorization = new("Bearer", key);
        return app.Http.SendAsync(request, Ct);
    }
}
