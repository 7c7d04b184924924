using LineBridge.Components.Replies;
using LineBridge.Events;
using LineBridge.Outbound;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LineBridge.Replies;

public static class RepliesServiceCollectionExtensions
{
    /// <summary>
    /// Operators' replies: the connector message events, per-line webhooks (the UI's <see cref="ILineWebhooks"/>) and
    /// the durable delivery to them. Needs <c>AddStorage()</c>, <c>AddBitrix24App()</c> and <c>AddMessages()</c>.
    /// </summary>
    public static IHostApplicationBuilder AddReplies(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReplyOptions>().BindConfiguration(ReplyOptions.Section)
            .Validate(o => o.InitialBackoff > TimeSpan.Zero && o.MaxBackoff >= o.InitialBackoff, "Replies: back-off must be positive and MaxBackoff >= InitialBackoff.")
            .Validate(o => o.MaxAttempts > 0, "Replies:MaxAttempts must be positive.")
            .Validate(o => o.Timeout > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero, "Replies: Timeout and PollInterval must be positive.")
            .Validate(o => o.MaxConcurrentPortals > 0, "Replies:MaxConcurrentPortals must be positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Webhook addresses are chosen by portal administrators, who are outside parties where LineBridge serves many
        // portals: the destination policy checks the resolved IP at connect time; no proxy; redirects are not followed
        // (a webhook that moved should be updated, not chased with a signed body).
        builder.Services.AddOptions<DestinationOptions>().BindConfiguration(DestinationOptions.Section)
            .Validate(o => { try { o.AllowedKinds(); return true; } catch (ArgumentException) { return false; } },
                $"Outbound:Allow names an unknown kind of address; use {string.Join(", ", Enum.GetNames<AddressKind>())}.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<DestinationPolicy>();
        builder.Services.AddHttpClient(WebhookSender.HttpClientName)
            .ConfigureHttpClient((sp, http) => http.Timeout = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ReplyOptions>>().Value.Timeout)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<DestinationPolicy>().CreateHandler());
        builder.Services.AddSingleton<ReplySignal>();
        builder.Services.AddSingleton(sp => new LineWebhookStore(sp.GetRequiredService<LineBridge.Storage.ILineWebhookRecords>(),
            sp.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>()));
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddSingleton<ILineWebhooks, LineWebhooks>();
        builder.Services.AddSingleton<IPortalEventHandler, ReplyEventsHandler>();
        builder.Services.AddSingleton<ReplyDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReplyDispatcher>());
        return builder;
    }
}
