using LineBridge.Components;
using LineBridge.Components.Portal;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;

namespace LineBridge.Replies;

public sealed class LineWebhooksTests : IDisposable
{
    private readonly MemoryStream _file = new();
    private readonly LiteDatabase _db;
    private readonly LineWebhookStore _store;
    private readonly LineWebhooks _webhooks;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public LineWebhooksTests()
    {
        _db = new LiteDatabase(_file);
        _store = new LineWebhookStore(_db, new EphemeralDataProtectionProvider());
        _webhooks = new LineWebhooks(_store, new WebhookSender(new Clients(), TimeProvider.System), new ReplySignal(),
            TimeProvider.System, NullLogger<LineWebhooks>.Instance);
    }

    private static PortalSession Session(bool admin, string member = "member-1") => new()
    {
        MemberId = member, PortalDomain = "portal.test", UserId = admin ? 1 : 2, UserName = "U", IsAdmin = admin,
        Language = "en", Placement = "DEFAULT", Ticket = "t",
    };

    [Fact]
    public async Task SetUrl_GivesANewSecretOnce_AndKeepsItEncrypted()
    {
        var first = await _webhooks.SetUrlAsync(Session(admin: true), 1, " https://example.test/hook ", Ct);
        var second = await _webhooks.SetUrlAsync(Session(admin: true), 1, "https://example.test/other", Ct);

        Assert.NotNull(first.NewSecret);
        Assert.Null(second.NewSecret);
        Assert.Equal("https://example.test/other", second.Webhook.Url);
        Assert.True(second.Webhook.IsConfigured);
        Assert.Equal(first.NewSecret[^4..], second.Webhook.SecretHint);
        Assert.Equal(first.NewSecret, _store.Target("member-1", 1)!.Secret);
        Assert.DoesNotContain(first.NewSecret, _store.Get("member-1", 1)!.ProtectedSecret);
    }

    [Fact]
    public async Task RotateSecret_ReplacesTheSecretUsedForSigning()
    {
        var set = await _webhooks.SetUrlAsync(Session(admin: true), 1, "https://example.test/hook", Ct);

        var rotated = await _webhooks.RotateSecretAsync(Session(admin: true), 1, Ct);

        Assert.NotEqual(set.NewSecret, rotated.NewSecret);
        Assert.Equal(rotated.NewSecret, _store.Target("member-1", 1)!.Secret);
    }

    [Fact]
    public async Task Changes_AreRefusedToOperators_OnTheServer()
    {
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _webhooks.SetUrlAsync(Session(admin: false), 1, "https://example.test/hook", Ct));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _webhooks.RotateSecretAsync(Session(admin: false), 1, Ct));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _webhooks.SendTestAsync(Session(admin: false), 1, Ct));
        Assert.Null(_store.Get("member-1", 1));
    }

    [Theory]
    [InlineData("example.test/hook")]
    [InlineData("ftp://example.test/hook")]
    [InlineData("https://user:pass@example.test/hook")]
    public async Task SetUrl_RefusesAddressesThatAreNotPlainHttp(string url)
    {
        var ex = await Assert.ThrowsAsync<OperationFailedException>(() => _webhooks.SetUrlAsync(Session(admin: true), 1, url, Ct));
        Assert.Contains("http", ex.Message);
    }

    [Fact]
    public async Task Webhooks_AreKeptPerPortalAndLine()
    {
        await _webhooks.SetUrlAsync(Session(admin: true), 1, "https://example.test/one", Ct);

        Assert.Null((await _webhooks.GetAsync(Session(admin: true), 2, Ct)).Url);
        Assert.Null((await _webhooks.GetAsync(Session(admin: true, member: "member-2"), 1, Ct)).Url);
        Assert.Equal("https://example.test/one", (await _webhooks.GetAsync(Session(admin: false), 1, Ct)).Url);
    }

    [Fact]
    public async Task SendTest_PostsASignedPing_AndReportsTheAnswer()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var webhooks = new LineWebhooks(_store, new WebhookSender(new Clients(), TimeProvider.System), new ReplySignal(),
            TimeProvider.System, NullLogger<LineWebhooks>.Instance);
        var secret = (await webhooks.SetUrlAsync(Session(admin: true), 1, receiver.Url.AbsoluteUri, Ct)).NewSecret!;
        receiver.Respond = (_, _) => (204, "");

        var result = await webhooks.SendTestAsync(Session(admin: true), 1, Ct);

        Assert.True(result.Success);
        Assert.Equal(204, result.StatusCode);
        var ping = Assert.Single(receiver.Received);
        Assert.Equal("ping", ping.EventType);
        Assert.Null(WebhookSignature.Verify(secret, ping.Signature, ping.Timestamp, ping.Body, DateTimeOffset.UtcNow));
    }

    public void Dispose()
    {
        _db.Dispose();
        _file.Dispose();
    }

    private sealed class Clients : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }
}
