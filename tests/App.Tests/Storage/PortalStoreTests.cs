using System.Text;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;

namespace LineBridge.Storage;

public class PortalStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("linebridge-store-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Portal Sample() => new()
    {
        MemberId = "a223c6b3710f85df22e9377d6c4f7553", Domain = "example.bitrix24.com", ClientEndpoint = "https://example.bitrix24.com/rest/",
        AccessToken = "ACCESS-clear-marker-1", RefreshToken = "REFRESH-clear-marker-2", ApplicationToken = "APPTOKEN-clear-marker-3",
        Scopes = "imopenlines,placement", Language = "en", InstalledByUserId = 1,
    };

    [Fact]
    public void Save_KeepsTokensOutOfTheDatabaseFile_InClear()
    {
        var path = Path.Combine(_folder, "test.db");
        var keys = DataProtectionProvider.Create(new DirectoryInfo(Path.Combine(_folder, "keys")));
        using (var db = new LiteDatabase($"Filename={path};Connection=direct"))
        {
            var store = new PortalStore(db, keys, TimeProvider.System);
            store.Save(Sample());
            Assert.Equal("ACCESS-clear-marker-1", store.Find(Sample().MemberId)!.AccessToken);
        }

        var file = Encoding.UTF8.GetString(File.ReadAllBytes(path)) + Encoding.Unicode.GetString(File.ReadAllBytes(path));
        Assert.Contains("example.bitrix24.com", file);
        Assert.DoesNotContain("clear-marker", file);
    }

    [Fact]
    public void Find_ReturnsTheSavedPortal_WithSecretsDecrypted()
    {
        using var db = new LiteDatabase(new MemoryStream());
        var store = new PortalStore(db, new EphemeralDataProtectionProvider(), TimeProvider.System);

        store.Save(Sample());
        var found = store.Find(Sample().MemberId)!;

        Assert.Equal(Sample() with { InstalledAt = found.InstalledAt, UpdatedAt = found.UpdatedAt, RefreshTokenIssuedAt = found.RefreshTokenIssuedAt }, found);
        Assert.NotEqual(default, found.InstalledAt);
        Assert.Equal(found.InstalledAt, found.RefreshTokenIssuedAt); // a new refresh token is dated when stored
        Assert.DoesNotContain("clear-marker", found.ToString());
    }

    [Fact]
    public void MarkUninstalled_WipesEverySecret_AndKeepsThePortal()
    {
        using var db = new LiteDatabase(new MemoryStream());
        var store = new PortalStore(db, new EphemeralDataProtectionProvider(), TimeProvider.System);
        store.Save(Sample());

        store.MarkUninstalled(Sample().MemberId);

        var found = store.Find(Sample().MemberId)!;
        Assert.Equal(PortalStatus.Uninstalled, found.Status);
        Assert.Null(found.AccessToken);
        Assert.Null(found.RefreshToken);
        Assert.Null(found.ApplicationToken);
        Assert.Equal("example.bitrix24.com", found.Domain);
    }

    [Fact]
    public void Save_KeepsTheFirstInstallTime_OnReinstall()
    {
        using var db = new LiteDatabase(new MemoryStream());
        var store = new PortalStore(db, new EphemeralDataProtectionProvider(), TimeProvider.System);
        var first = store.Save(Sample());

        var second = store.Save(Sample() with { AccessToken = "new" });

        Assert.Equal(first.InstalledAt, second.InstalledAt);
        Assert.Single(store.All());
    }
}
