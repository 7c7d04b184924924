using LiteDB;

namespace LineBridge.Messages;

public class ApiKeysTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RotateAsync_ReturnsAKeyThatAuthenticatesItsPortal_AndRetiresTheOldOne()
    {
        using var db = new LiteDatabase(":memory:");
        var keys = new ApiKeys(db, TimeProvider.System);

        var first = await keys.RotateAsync("portal-a", Ct);
        var second = await keys.RotateAsync("portal-a", Ct);

        Assert.Null(keys.Authenticate(first));
        Assert.Equal("portal-a", keys.Authenticate(second));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Keys_AreStoredOnlyAsHashes()
    {
        using var db = new LiteDatabase(":memory:");
        var keys = new ApiKeys(db, TimeProvider.System);
        var key = await keys.RotateAsync("portal-a", Ct);

        var stored = db.GetCollection("api_keys").FindAll().Single().ToString();

        Assert.DoesNotContain(key, stored);
        Assert.DoesNotContain(key[3..20], stored);
        Assert.EndsWith(key[^4..], keys.GetInfo("portal-a")!.Hint);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("lb_wrong")]
    [InlineData("something-else")]
    public async Task Authenticate_ReturnsNull_ForAMissingOrWrongKey(string? presented)
    {
        using var db = new LiteDatabase(":memory:");
        var keys = new ApiKeys(db, TimeProvider.System);
        await keys.RotateAsync("portal-a", Ct);

        Assert.Null(keys.Authenticate(presented));
    }

    [Fact]
    public async Task EnsureKeyAsync_CreatesAKeyOnlyTheFirstTime()
    {
        using var db = new LiteDatabase(":memory:");
        var keys = new ApiKeys(db, TimeProvider.System);

        var first = await keys.EnsureKeyAsync("portal-a", Ct);
        var second = await keys.EnsureKeyAsync("portal-a", Ct);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal("portal-a", keys.Authenticate(first));
    }
}
