namespace LineBridge.Storage.Contracts;

/// <summary>On PostgreSQL, instances share the Data Protection key ring: what one encrypts, another decrypts.</summary>
public sealed class SharedKeyRingTests
{
    [Fact]
    public async Task ATokenSavedByOneInstance_IsReadableByAnother()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var instanceA = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);
        var instanceB = new PortalStore(backend.PortalRecords(), backend.DataProtection(), TimeProvider.System);

        instanceA.Save(new Portal
        {
            MemberId = "member-a", Domain = "a.bitrix24.com", ClientEndpoint = "https://a.bitrix24.com/rest/",
            AccessToken = "access-from-a", RefreshToken = "refresh-from-a",
        });

        var seenByB = instanceB.Find("member-a")!;
        Assert.Equal("access-from-a", seenByB.AccessToken);
        Assert.Equal("refresh-from-a", seenByB.RefreshToken);
    }
}
