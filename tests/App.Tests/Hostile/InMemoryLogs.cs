using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LineBridge.Hostile;

/// <summary>Keeps every log entry of the app (message, exception, scopes and structured values) in memory.</summary>
public sealed class InMemoryLogs : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private sealed class Logger(InMemoryLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var entry = new System.Text.StringBuilder($"{logLevel} {category}: {formatter(state, exception)}");
            // Structured values too: a secret passed as a parameter is a leak even if the template omits it.
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values) entry.Append(" | ").Append(key).Append('=').Append(value);
            }
            owner._scopes.ForEachScope((scope, sb) => sb.Append(" | scope ").Append(scope), entry);
            if (exception is not null) entry.Append(" | ").Append(exception);
            owner.Entries.Enqueue(entry.ToString());
        }
    }
}
