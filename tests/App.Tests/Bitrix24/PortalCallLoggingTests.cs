using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using LineBridge.Infrastructure;
using Microsoft.Extensions.Logging;

namespace LineBridge.Bitrix24;

/// <summary>The console stays readable: portal calls are logged at Debug, which the default configuration leaves out.</summary>
public sealed class PortalCallLoggingTests
{
    [Fact]
    public async Task PortalCalls_WriteNothingAtInformation_WithTheDefaultConfiguration()
    {
        var capture = new CapturingProvider();
        // The app's own default (appsettings.json), not the quieter one tests usually run with.
        await using var app = await SandboxedApp.StartAsync(
            settings: new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" },
            configureServices: s => s.AddSingleton<ILoggerProvider>(capture),
            cancellationToken: TestContext.Current.CancellationToken);

        // Installing made portal calls; a few more for good measure.
        var client = app.Clients.ForPortal(app.Portal.MemberId);
        await foreach (var _ in client.OpenLines.ListAsync(cancellationToken: TestContext.Current.CancellationToken)) { }
        Assert.NotEmpty(app.Portal.Calls);

        Assert.DoesNotContain(capture.Entries, e => e.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal) && e.Level >= LogLevel.Information);
        Assert.DoesNotContain(capture.Entries, e => e.Category == typeof(Bitrix24Retries).FullName && e.Level < LogLevel.Warning);
        var factory = app.Services.GetRequiredService<ILoggerFactory>();
        Assert.False(factory.CreateLogger("System.Net.Http.HttpClient.Bitrix24.LogicalHandler").IsEnabled(LogLevel.Information));
    }

    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((category, logLevel));
        }
    }
}
