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

    // Saving, finding, reinstalling and uninstalling are the contract suite's (Contracts/PortalStoreContract.cs, run on
    // every provider); what stays here is LiteDB's file and the record's text.

    [Fact]
    public void Portal_ToString_LeavesTheSecretsOut()
    {
        var text = Sample().ToString();

        Assert.Contains("example.bitrix24.com", text);
        Assert.DoesNotContain("clear-marker", text);
    }
}
