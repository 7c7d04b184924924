namespace LineBridge.Storage.Contracts;

/// <summary>What every provider's portal registry must do (the rules live in <see cref="PortalStore"/>, the records in the provider).</summary>
public abstract class PortalStoreContract(StorageProvider provider)
{
    private static Portal Sample(string memberId = "a223c6b3710f85df22e9377d6c4f7553") => new()
    {
        MemberId = memberId, Domain = "example.bitrix24.com", ClientEndpoint = "https://example.bitrix24.com/rest/",
        ServerEndpoint = "https://oauth.bitrix24.tech/rest/",
        AccessToken = "ACCESS-clear-marker-1", RefreshToken = "REFRESH-clear-marker-2", ApplicationToken = "APPTOKEN-clear-marker-3",
        AccessTokenExpiresAt = new DateTimeOffset(2026, 11, 30, 8, 0, 0, 123, TimeSpan.Zero),
        Scopes = "imopenlines,placement", Language = "en", InstalledByUserId = 1,
    };

    [Fact]
    public async Task Find_ReturnsTheSavedPortal_WithSecretsDecrypted_AndEqualTimes()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);

        var saved = store.Save(Sample());
        var found = store.Find(Sample().MemberId);

        Assert.Equal(saved, found);
        Assert.Equal(Sample() with
        {
            InstalledAt = saved.InstalledAt, UpdatedAt = saved.UpdatedAt, RefreshTokenIssuedAt = saved.RefreshTokenIssuedAt,
        }, found);
        Assert.Equal(saved.UpdatedAt, found!.RefreshTokenIssuedAt);   // a new refresh token is dated when it is stored
        Assert.Equal(TimeSpan.Zero, found.InstalledAt.Offset);
    }

    [Fact]
    public async Task Records_HoldSecretsOnlyEncrypted()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);

        store.Save(Sample());
        var record = backend.PortalRecords().Find(Sample().MemberId)!;

        Assert.Equal("example.bitrix24.com", record.Domain);
        Assert.DoesNotContain("clear-marker", record.AccessToken + record.RefreshToken + record.ApplicationToken);
        Assert.NotNull(record.AccessToken);
    }

    [Fact]
    public async Task Find_UnknownOrEmpty_IsNull()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);
        store.Save(Sample());

        Assert.Null(store.Find("unknown-member"));
        Assert.Null(store.Find(""));
    }

    [Fact]
    public async Task Save_KeepsTheFirstInstallTime_OnReinstall_AndReplaces()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);
        var first = store.Save(Sample());

        var second = store.Save(Sample() with { AccessToken = "new", ServerEndpoint = null });

        Assert.Equal(first.InstalledAt, second.InstalledAt);
        var only = Assert.Single(store.All());
        Assert.Equal("new", only.AccessToken);
        Assert.Null(only.ServerEndpoint);
    }

    [Fact]
    public async Task All_ListsEveryPortal()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);
        store.Save(Sample("member-a"));
        store.Save(Sample("member-b") with { Domain = "b.bitrix24.com" });

        Assert.Equal(["member-a", "member-b"], store.All().Select(p => p.MemberId).Order());
    }

    [Fact]
    public async Task MarkUninstalled_WipesEverySecret_AndKeepsThePortal()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);
        store.Save(Sample());

        store.MarkUninstalled(Sample().MemberId);

        var found = store.Find(Sample().MemberId)!;
        Assert.Equal(PortalStatus.Uninstalled, found.Status);
        Assert.Null(found.AccessToken);
        Assert.Null(found.RefreshToken);
        Assert.Null(found.ApplicationToken);
        Assert.Null(found.AccessTokenExpiresAt);
        Assert.Equal("example.bitrix24.com", found.Domain);
    }

    [Fact]
    public async Task MarkNeedsReauthorization_KeepsTheReason()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);
        store.Save(Sample());

        store.MarkNeedsReauthorization(Sample().MemberId, "The portal refused the refresh token.");

        var found = store.Find(Sample().MemberId)!;
        Assert.Equal(PortalStatus.NeedsReauthorization, found.Status);
        Assert.Equal("The portal refused the refresh token.", found.StatusReason);
        Assert.Null(store.MarkNeedsReauthorization("unknown-member", "x"));
    }

    /// <summary>
    /// The send API's status check and the framing policy's list read no secret: they work even where the tokens
    /// cannot be decrypted (another key ring), which <see cref="PortalStore.Find"/> and <see cref="PortalStore.All"/> cannot.
    /// </summary>
    [Fact]
    public async Task FindStatus_AndAllWithoutSecrets_DecryptNothing()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);
        store.Save(Sample("member-a"));
        store.Save(Sample("member-b") with { Domain = "b.bitrix24.com" });
        store.MarkPaymentRequired("member-b", "Payment required");
        var foreignKeys = new PortalStore(backend.PortalRecords(), new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider(), TimeProvider.System);

        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => foreignKeys.Find("member-a"));
        Assert.Equal(PortalStatus.Installed, foreignKeys.FindStatus("member-a"));
        Assert.Equal(PortalStatus.PaymentRequired, foreignKeys.FindStatus("member-b"));
        Assert.Null(foreignKeys.FindStatus("unknown-member"));
        Assert.Null(foreignKeys.FindStatus(""));
        var listed = foreignKeys.AllWithoutSecrets().OrderBy(p => p.MemberId).ToList();
        Assert.Equal(
            store.All().OrderBy(p => p.MemberId).Select(p => p with { AccessToken = null, RefreshToken = null, ApplicationToken = null }),
            listed);
    }
}

public sealed class PortalStoreOnLiteDb() : PortalStoreContract(StorageProvider.LiteDb);

public sealed class PortalStoreOnPostgreSql() : PortalStoreContract(StorageProvider.PostgreSql);
