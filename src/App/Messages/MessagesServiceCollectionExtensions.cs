using Microsoft.Extensions.DependencyInjection.Extensions;
using LineBridge.Components.Messages;
using LineBridge.Events;
using LineBridge.Storage;

namespace LineBridge.Messages;

public static class MessagesServiceCollectionExtensions
{
    /// <summary>
    /// The message log, the outbox and its dispatcher, the edit service (also the UI's <see cref="IMessageLog"/>,
    /// <see cref="IMessageEditor"/> and <see cref="IMessageUpdates"/>), API keys, line connection state and the
    /// portal events that change it. Needs <c>AddStorage()</c> and the typed Bitrix24 client.
    /// </summary>
    public static IHostApplicationBuilder AddMessages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessageOptions>().BindConfiguration(MessageOptions.Section)
            .Validate(o => o.BatchSize is > 0 and <= 10_000, "Messages:BatchSize must be between 1 and 10000.")
            .Validate(o => o.MaxCallBytes >= 64 * 1024, "Messages:MaxCallBytes must be at least 65536.")
            .Validate(o => o.MaxCallsInFlightPerPortal is > 0 and <= 64, "Messages:MaxCallsInFlightPerPortal must be between 1 and 64.")
            .Validate(o => o.MaxMessagesPerRequest > 0, "Messages:MaxMessagesPerRequest must be positive.")
            .Validate(o => o.MaxTextLength > 0, "Messages:MaxTextLength must be positive.")
            .ValidateOnStart();
        builder.Services.AddProblemDetails();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MessageStore>();
        builder.Services.AddSingleton(sp => new LineConnections(sp.GetRequiredService<ILineConnectionRecords>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<OutboxSignal>()));
        builder.Services.AddSingleton(sp => new ApiKeys(sp.GetRequiredService<IApiKeyRecords>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<MessageUpdates>();
        builder.Services.AddSingleton<IMessageUpdates>(sp => sp.GetRequiredService<MessageUpdates>());
        builder.Services.TryAddSingleton<IMessageSnapshots, StoredMessageSnapshots>();
        builder.Services.TryAddSingleton<ChatDirectory>();   // AddStorage registers it per provider
        builder.Services.AddSingleton<PortalUserNames>();
        builder.Services.AddSingleton<MessageService>();
        builder.Services.AddSingleton<IMessageLog>(sp => sp.GetRequiredService<MessageService>());
        builder.Services.AddSingleton<IMessageEditor>(sp => sp.GetRequiredService<MessageService>());
        builder.Services.AddSingleton<IPortalEventHandler, LineEventsHandler>();
        builder.Services.AddSingleton<OutboxDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return builder;
    }
}
