using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LineBridge.Infrastructure;

/// <summary>
/// The app's last log lines, kept in memory for a failing test to print: LineBridge's own at Information and above,
/// everything else at Warning and above (a circuit that failed, a request that threw). Bounded to <see cref="Capacity"/>.
/// </summary>
public sealed class RecentLog : ILoggerProvider
{
    /// <summary>How many lines are kept (the oldest leave first).</summary>
    public const int Capacity = 200;

    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>The kept lines, oldest first.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Capacity) _lines.TryDequeue(out _);
    }

    private sealed class Logger(RecentLog log, string category) : ILogger
    {
        private readonly LogLevel _minimum = category.StartsWith("LineBridge", StringComparison.Ordinal) ? LogLevel.Information : LogLevel.Warning;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= _minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            log.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}" +
                (exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]"));
        }
    }
}
