using LineBridge.Infrastructure;
using LineBridge.Messages;

namespace LineBridge.Storage.Contracts;

/// <summary>What every provider's chat-name directory records (<see cref="IChatRecords"/>) must do.</summary>
public abstract class ChatDirectoryContract(StorageProvider provider)
{
    [Fact]
    public async Task Chats_AreFoundByPartOfTheirNameOrId_InAnyCase_AndARenameIsKept()
    {
        await using var backend = await StoreBackend.OpenAsync(provider);
        new ChatDirectory(backend.ChatRecords()).Note("member-a", 1, [("Chat-7", "Ольга Петрова"), ("chat-8", "Ivan"), ("chat-9", null)]);
        new ChatDirectory(backend.ChatRecords()).Note("member-a", 1, [("chat-8", "Иван Сидоров"), ("chat-9", null)]);
        new ChatDirectory(backend.ChatRecords()).Note("member-b", 1, [("chat-1", "Ольга")]);

        var read = new ChatDirectory(backend.ChatRecords());   // a fresh process reads what was written

        Assert.Equal([new ChatDirectory.Chat("Chat-7", "Ольга Петрова")], read.Find("member-a", 1, "ольга").Chats);
        Assert.Equal("Иван Сидоров", read.NameOf("member-a", 1, "chat-8"));
        Assert.Equal(["Chat-7", "chat-8", "chat-9"], read.Find("member-a", 1, "CHAT").Chats.Select(c => c.ChatId).Order(StringComparer.Ordinal));
        Assert.Null(read.NameOf("member-a", 1, "chat-7"));
        Assert.DoesNotContain(read.Find("member-a", 2, "ольга").Chats, c => c.Name is not null);
    }
}

public sealed class ChatDirectoryOnLiteDb() : ChatDirectoryContract(StorageProvider.LiteDb);

public sealed class ChatDirectoryOnPostgreSql() : ChatDirectoryContract(StorageProvider.PostgreSql)
{
    [Fact]
    public async Task AChatAnotherInstanceAdded_IsFoundByName_OnceTheLineWasIdleForTheCacheTime()
    {
        await using var backend = await StoreBackend.OpenAsync(StorageProvider.PostgreSql);
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var here = new ChatDirectory(backend.ChatRecords(), idleTime: TimeSpan.FromSeconds(30), time: time);
        var there = new ChatDirectory(backend.ChatRecords(), idleTime: TimeSpan.FromSeconds(30), time: time);
        Assert.Null(here.NameOf("member-a", 1, "chat-1"));

        there.Note("member-a", 1, [("chat-1", "Ольга")]);
        time.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal("chat-1", Assert.Single(here.Find("member-a", 1, "ольг").Chats).ChatId);
    }
}
