using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace LineBridge.Observability;

public static class ObservabilityServiceCollectionExtensions
{
    /// <summary>The standard OpenTelemetry variable naming the collector (e.g. <c>http://127.0.0.1:4317</c>).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// OpenTelemetry metrics: the <c>LineBridge</c> meter (<see cref="LineBridgeMetrics"/>) plus ASP.NET Core's and
    /// the HTTP client's, exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured (nothing is sent
    /// otherwise). The other <c>OTEL_*</c> variables (headers, protocol, service name) apply as usual.
    /// </summary>
    public static IHostApplicationBuilder AddObservability(this IHostApplicationBuilder builder)
    {
        builder.Services.AddLineBridgeMetrics();
        builder.Services.AddHostedService<OutboxGauges>();   // depth and age of the outbox, read from the store
        var metrics = builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(LineBridgeMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "System.Net.Http"));
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable])) metrics.UseOtlpExporter();
        return builder;
    }

    /// <summary>Only the <see cref="LineBridgeMetrics"/> instruments (for hosts without OpenTelemetry, e.g. tests).</summary>
    public static IServiceCollection AddLineBridgeMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<LineBridgeMetrics>();
        return services;
    }
}
