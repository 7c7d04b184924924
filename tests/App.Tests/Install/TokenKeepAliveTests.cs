using LineBridge.Bitrix24;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Storage;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;

namespace LineBridge.Install;

public sealed class TokenKeepAliveTests
{
    private sealed class CountingTokens(PortalStore store) : IPortalTokenSource
    {
        public List<string> Refreshed { get; } = [];

        public ValueTask<PortalAccess> GetAccessAsync(string memberId, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new PortalAccess(new Uri("http://127.0.0.1:9/rest/"), store.Find(memberId)!.AccessToken!));

        public Task<PortalAccess> RefreshAsync(string memberId, string staleAccessToken, CancellationToken cancellationToken = default)
        {
            Refreshed.Add(memberId);
            var n = Refreshed.Count;
            store.Update(memberId, p => p with { AccessToken = $"access-{n}", RefreshToken = $"refresh-{n}" });
            return Task.FromResult(new PortalAccess(new Uri("http://127.0.0.1:9/rest/"), $"access-{n}"));
        }
    }

    [Fact]
    public async Task AQuietPortal_IsRefreshedOnceAQuarterOfTheLifetimeHasPassed_AndNotAgainUntilTheNextQuarter()
    {
        var folder = Directory.CreateTempSubdirectory("lb-keepalive-").FullName;
        try
        {
            using var db = new LiteDatabase($"Filename={Path.Combine(folder, "t.db")};Connection=direct");
            var time = new ManualTime();
            var store = new PortalStore(db, new EphemeralDataProtectionProvider(), time);
            store.Save(new Portal { MemberId = "quiet", Domain = "a.example", ClientEndpoint = "http://127.0.0.1:9/rest/", AccessToken = "a", RefreshToken = "r" });
            store.Save(new Portal { MemberId = "gone", Domain = "b.example", ClientEndpoint = "http://127.0.0.1:9/rest/", AccessToken = "a", RefreshToken = "r" });
            store.MarkUninstalled("gone");
            var tokens = new CountingTokens(store);
            var options = Microsoft.Extensions.Options.Options.Create(new Bitrix24AppOptions { RefreshTokenLifetime = TimeSpan.FromDays(28) });
            var keepAlive = new TokenKeepAlive(store, tokens, options, time, NullLogger<TokenKeepAlive>.Instance);

            time.Advance(TimeSpan.FromDays(6));
            Assert.Equal(0, await keepAlive.RunOnceAsync(TestContext.Current.CancellationToken));

            time.Advance(TimeSpan.FromDays(1.5)); // past a week: well within the 28 days
            Assert.Equal(1, await keepAlive.RunOnceAsync(TestContext.Current.CancellationToken));
            Assert.Equal(0, await keepAlive.RunOnceAsync(TestContext.Current.CancellationToken)); // once, not every round

            time.Advance(TimeSpan.FromDays(7.5));
            Assert.Equal(1, await keepAlive.RunOnceAsync(TestContext.Current.CancellationToken));
            Assert.Equal(["quiet", "quiet"], tokens.Refreshed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task APortalQuietForLongerThanTheRefreshTokensLife_StillWorks()
    {
        // The sandbox's refresh tokens live 10 s; the app refreshes after a quarter of that, looking every 100 ms. The
        // life is long enough that a busy machine stalling the keep-alive for seconds does not lose the token (with 2 s,
        // a stall of 1.5 s did), and short enough that the test outlives the first token.
        await using var app = await SandboxedApp.StartAsync(
            configureSandbox: o => o.RefreshTokenLifetime = TimeSpan.FromSeconds(10),
            settings: new Dictionary<string, string?>
            {
                ["Bitrix24:RefreshTokenLifetime"] = "00:00:10",
                ["Bitrix24:TokenKeepAliveInterval"] = "00:00:00.100",
            },
            cancellationToken: TestContext.Current.CancellationToken);
        var start = app.OAuth.Count;
        var installed = app.Store.Find(app.Portal.MemberId)!.RefreshTokenIssuedAt!.Value;

        // Each keep-alive refresh comes at least 2.5 s after the last: five of them outlast the first refresh token,
        // and each only works with the one before it (single use, 10 s of life).
        await SandboxedApp.WaitUntilAsync(() => app.OAuth.Count >= start + 5, "the quiet portal's tokens were kept alive");
        await SandboxedApp.WaitUntilAsync(() => app.Store.Find(app.Portal.MemberId)!.RefreshTokenIssuedAt > installed + TimeSpan.FromSeconds(12.5),
            "a refresh token obtained after the first one's life ended is stored");

        var info = await app.Clients.ForPortal(app.Portal.MemberId).App.InfoAsync(TestContext.Current.CancellationToken);

        Assert.Equal(app.Sandbox.App.ClientId, info.Code);
        Assert.Equal(PortalStatus.Installed, app.Store.Find(app.Portal.MemberId)!.Status);
    }
}
