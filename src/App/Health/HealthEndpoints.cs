using LineBridge.Storage;
using LineBridge.Storage.PostgreSql;
using LiteDB;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LineBridge.Health;

/// <summary>
/// What a load balancer or orchestrator asks: <c>GET /health/live</c> (the process answers: 200 <c>Healthy</c>) and
/// <c>GET /health/ready</c> (the database answers too: 200 <c>Healthy</c>, else 503 <c>Unhealthy</c>). The bodies
/// carry only the status word: no exception text, host or connection string reaches an anonymous caller; the
/// reason goes to the log.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Liveness path.</summary>
    public const string LivePath = "/health/live";

    /// <summary>Readiness path.</summary>
    public const string ReadyPath = "/health/ready";

    private const string ReadyTag = "ready";

    /// <summary>Registers the database check (LiteDB or PostgreSQL, whichever <c>Storage:Provider</c> chose).</summary>
    public static IHostApplicationBuilder AddHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage", HealthStatus.Unhealthy, [ReadyTag]);
        return builder;
    }

    /// <summary>
    /// Answers <see cref="LivePath"/> (no checks) and <see cref="ReadyPath"/> (the database check) as terminal
    /// middleware. Put it first: later middleware (the per-request framing policy reads the portal registry) must
    /// not turn an unreachable database into a 500 instead of the readiness answer.
    /// </summary>
    public static WebApplication UseHealthEndpoints(this WebApplication app)
    {
        app.UseHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false });
        app.UseHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) });
        return app;
    }
}

/// <summary>
/// The store answers a trivial query: <c>SELECT 1</c> on PostgreSQL (within the check's time-out), a collection
/// listing on LiteDB (the file is open and readable).
/// </summary>
internal sealed class StorageHealthCheck(IServiceProvider services, ILogger<StorageHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (services.GetService<PostgreSqlDatabase>() is { } postgres)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await using var command = postgres.DataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(timeout.Token);
            }
            else
            {
                _ = services.GetRequiredService<LiteDatabase>().GetCollectionNames().Count();
            }
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Readiness: the {Provider} store does not answer.",
                services.GetService<PostgreSqlDatabase>() is null ? StorageProvider.LiteDb : StorageProvider.PostgreSql);
            return HealthCheckResult.Unhealthy("The database does not answer.");
        }
    }
}
