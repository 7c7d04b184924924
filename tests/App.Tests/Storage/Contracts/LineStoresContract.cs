using LineBridge.Messages;
using LineBridge.Replies;

namespace LineBridge.Storage.Contracts;

/// <summary>What every provider's line state store must do.</summary>
public abstract class LineConnectionsContract(StorageProvider provider)
{
    [Fact]
    public async Task State_FollowsTheLastChange_AndIsNullForANeverConnectedLine()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var lines = new LineConnections(backend.LineConnectionRecords(), TimeProvider.System);

        Assert.Null(lines.GetState("member-a", 1));
        lines.MarkConnected("member-a", 1);
        Assert.Equal(LineConnectionState.Connected, lines.GetState("member-a", 1));
        lines.MarkDisconnected("member-a", 1);
        Assert.Equal(LineConnectionState.Disconnected, lines.GetState("member-a", 1));
        lines.MarkDeleted("member-a", 1);
        Assert.Equal(LineConnectionState.Deleted, lines.GetState("member-a", 1));
        Assert.Null(lines.GetState("member-a", 2));
    }

    [Fact]
    public async Task List_GivesThePortalsOwnLines_InLineOrder_EvenForIdsThatDifferOnlyByCase()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var lines = new LineConnections(backend.LineConnectionRecords(), TimeProvider.System);
        lines.MarkConnected("member-a", 3);
        lines.MarkDisconnected("member-a", 1);
        lines.MarkConnected("MEMBER-A", 2);

        var listed = lines.List("member-a");

        Assert.Equal([1, 3], listed.Select(l => l.Line));
        Assert.All(listed, l => Assert.Equal("member-a", l.MemberId));
        Assert.Equal([LineConnectionState.Disconnected, LineConnectionState.Connected], listed.Select(l => l.State));
        Assert.Equal([2], lines.List("MEMBER-A").Select(l => l.Line));
    }
}

public sealed class LineConnectionsOnLiteDb() : LineConnectionsContract(StorageProvider.LiteDb);

public sealed class LineConnectionsOnPostgreSql() : LineConnectionsContract(StorageProvider.PostgreSql);

/// <summary>What every provider's webhook store must do.</summary>
public abstract class LineWebhookStoreContract(StorageProvider provider)
{
    private static readonly DateTime Now = new(2026, 11, 30, 8, 0, 0, 250, DateTimeKind.Utc);

    [Fact]
    public async Task SetUrl_GivesASecretOnce_KeptEncrypted_AndReadableForSigning()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new LineWebhookStore(backend.LineWebhookRecords(), backend.DataProtection());

        Assert.Null(store.Get("member-a", 1));
        var (_, secret) = store.SetUrl("member-a", 1, "https://example.test/hook", Now);
        var (record, again) = store.SetUrl("member-a", 1, "https://example.test/other", Now);

        Assert.NotNull(secret);
        Assert.Null(again);
        var stored = store.Get("member-a", 1)!;
        Assert.Equal("https://example.test/other", stored.Url);
        Assert.Equal(secret[^4..], stored.SecretHint);
        Assert.Equal(Now, stored.SecretCreatedAt!.Value.ToUniversalTime());
        Assert.DoesNotContain(secret, stored.ProtectedSecret);
        Assert.Equal(new WebhookTarget(new Uri("https://example.test/other"), secret), store.Target("member-a", 1));
        Assert.Equal(record.Id, stored.Id);
        Assert.Null(store.Target("member-a", 2));
    }

    [Fact]
    public async Task RotateSecret_ReplacesTheSecret_AndClearingTheUrlStopsDelivery()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        var store = new LineWebhookStore(backend.LineWebhookRecords(), backend.DataProtection());
        var (_, first) = store.SetUrl("member-a", 1, "https://example.test/hook", Now);

        var (_, second) = store.RotateSecret("member-a", 1, Now.AddMinutes(1));
        Assert.NotEqual(first, second);
        Assert.Equal(second, store.Target("member-a", 1)!.Secret);

        store.SetUrl("member-a", 1, null, Now);
        Assert.Null(store.Target("member-a", 1));
        Assert.NotNull(store.Get("member-a", 1)!.ProtectedSecret);
    }
}

public sealed class LineWebhookStoreOnLiteDb() : LineWebhookStoreContract(StorageProvider.LiteDb);

public sealed class LineWebhookStoreOnPostgreSql() : LineWebhookStoreContract(StorageProvider.PostgreSql);
