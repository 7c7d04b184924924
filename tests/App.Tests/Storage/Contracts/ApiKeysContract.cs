using LineBridge.Messages;

namespace LineBridge.Storage.Contracts;

/// <summary>What every provider's API key store must do.</summary>
public abstract class ApiKeysContract(StorageProvider provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rotate_GivesAKeyThatAuthenticatesItsPortal_AndRetiresTheOldOne()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var keys = new ApiKeys(backend.ApiKeyRecords(), TimeProvider.System);

        var first = await keys.RotateAsync("member-a", Ct);
        var second = await keys.RotateAsync("member-a", Ct);

        Assert.Null(keys.Authenticate(first));
        Assert.Equal("member-a", keys.Authenticate(second));
        Assert.EndsWith(second[^4..], keys.GetInfo("member-a")!.Hint);
    }

    [Fact]
    public async Task Authenticate_TellsPortalsApart_AndRefusesWrongOrMissingKeys()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var keys = new ApiKeys(backend.ApiKeyRecords(), TimeProvider.System);
        var a = await keys.RotateAsync("member-a", Ct);
        var b = await keys.RotateAsync("member-b", Ct);

        Assert.Equal("member-a", keys.Authenticate(a));
        Assert.Equal("member-b", keys.Authenticate(b));
        Assert.Null(keys.Authenticate(a[..^1] + (a[^1] == 'x' ? 'y' : 'x')));
        Assert.Null(keys.Authenticate(null));
        Assert.Null(keys.Authenticate("not-a-key"));
    }

    [Fact]
    public async Task EnsureKey_MakesOneOnlyWhenThePortalHasNone()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var keys = new ApiKeys(backend.ApiKeyRecords(), TimeProvider.System);

        var made = await keys.EnsureKeyAsync("member-a", Ct);
        var again = await keys.EnsureKeyAsync("member-a", Ct);

        Assert.NotNull(made);
        Assert.Null(again);
        Assert.Equal("member-a", keys.Authenticate(made));
        Assert.Null(keys.GetInfo("member-b"));
    }

    [Fact]
    public async Task Records_HoldOnlyTheHash()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var keys = new ApiKeys(backend.ApiKeyRecords(), TimeProvider.System);
        var key = await keys.RotateAsync("member-a", Ct);

        var record = backend.ApiKeyRecords().Find("member-a")!;

        Assert.DoesNotContain(key, record.Hash + record.Hint);
        Assert.Equal(64, record.Hash.Length);
        Assert.Equal(record.Id, backend.ApiKeyRecords().FindByHash(record.Hash)!.Id);
    }
}

public sealed class ApiKeysOnLiteDb() : ApiKeysContract(StorageProvider.LiteDb);

public sealed class ApiKeysOnPostgreSql() : ApiKeysContract(StorageProvider.PostgreSql);
