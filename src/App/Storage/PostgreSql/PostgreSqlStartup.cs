namespace LineBridge.Storage.PostgreSql;

/// <summary>
/// Applies the schema migrations when the host starts, so an unreachable database or a schema newer than this build
/// stops the start with a clear message instead of failing the first request.
/// </summary>
internal sealed class PostgreSqlStartup(PostgreSqlDatabase database, ILogger<PostgreSqlStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = database.Migrate();
        if (applied > 0) logger.LogInformation("PostgreSQL schema migrated to version {Version} ({Applied} applied).", PostgreSqlMigrations.LatestVersion, applied);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
