using Microsoft.Extensions.Configuration;

namespace LineBridge.Storage;

public sealed class StorageProviderSelectionTests
{
    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, v.Value))).Build();

    [Fact]
    public void NoProvider_IsLiteDb() => Assert.Equal(StorageProvider.LiteDb, StorageProviders.Resolve(Config()));

    [Fact]
    public void PostgreSql_WithAConnectionString_IsAccepted_InAnyCase() =>
        Assert.Equal(StorageProvider.PostgreSql, StorageProviders.Resolve(Config(
            ("Storage:Provider", "postgresql"), ("ConnectionStrings:LineBridge", "Host=127.0.0.1;Port=9;Database=lb"))));

    [Fact]
    public void AnUnknownProvider_NamesTheChoices()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageProviders.Resolve(Config(("Storage:Provider", "Postgres"))));
        Assert.Contains("'Postgres'", error.Message);
        Assert.Contains("'LiteDb'", error.Message);
        Assert.Contains("'PostgreSql'", error.Message);
    }

    [Fact]
    public void PostgreSql_WithoutAConnectionString_SaysWhatToSet()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageProviders.Resolve(Config(("Storage:Provider", "PostgreSql"))));
        Assert.Contains("ConnectionStrings:LineBridge", error.Message);
    }

    [Fact]
    public void ABadConnectionString_IsRefused_WithoutEchoingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageProviders.Resolve(Config(
            ("Storage:Provider", "PostgreSql"), ("ConnectionStrings:LineBridge", "Host=127.0.0.1;Pasword=hunter2-marker"))));
        Assert.Contains("ConnectionStrings:LineBridge", error.Message);
        Assert.DoesNotContain("hunter2-marker", error.Message);
    }

    [Fact]
    public void MigrateCommand_OnLiteDb_SaysThereIsNothingToDo()
    {
        var output = new StringWriter();
        Assert.Equal(0, StorageCommands.RunMigrate(Config(), output, new StringWriter()));
        Assert.Contains("needs no migrations", output.ToString());
    }

    [Fact]
    public void MigrateCommand_OnAnUnreachableServer_FailsWithTheAddress_AndNoPassword()
    {
        var error = new StringWriter();
        var exit = StorageCommands.RunMigrate(Config(("Storage:Provider", "PostgreSql"),
            ("ConnectionStrings:LineBridge", "Host=127.0.0.1;Port=9;Database=lb;Username=u;Password=pw-marker;Timeout=5")), new StringWriter(), error);
        Assert.Equal(1, exit);
        Assert.Contains("127.0.0.1:9", error.ToString());
        Assert.DoesNotContain("pw-marker", error.ToString());
    }
}
