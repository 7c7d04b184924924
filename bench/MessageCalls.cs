using System.Globalization;
using System.Text.Json.Nodes;
using LineBridge.Sandbox;
using Microsoft.AspNetCore.WebUtilities;

namespace LineBridge.Bench;

/// <summary>
/// The message calls (<c>imconnector.send/update/delete.messages</c>) a sandbox portal recorded, as commands with their
/// line and <c>MESSAGES</c> elements: a plain call is one command; a <c>batch</c> request, which the sandbox records as
/// one call of method <c>batch</c> with its commands as query strings in <c>cmd</c>, is each of its commands.
/// </summary>
internal static class MessageCalls
{
    /// <summary>One message command: its method, line (0 when it names none), elements, and whether a <c>batch</c> carried it.</summary>
    public sealed record Command(string Method, int Line, int Elements, bool InBatch);

    /// <summary>The message commands of one recorded call; none for a call of another method.</summary>
    public static IEnumerable<Command> Of(RecordedCall call)
    {
        if (call.Method == "batch")
        {
            if (JsonNode.Parse(call.Parameters)?["cmd"] is not JsonObject commands) yield break;
            foreach (var (_, value) in commands)
            {
                var text = value?.ToString() ?? "";
                var question = text.IndexOf('?', StringComparison.Ordinal);
                if (question < 0) continue;
                var method = text[..question].Trim().ToLowerInvariant();
                if (!method.StartsWith("imconnector.", StringComparison.Ordinal) || !method.EndsWith(".messages", StringComparison.Ordinal)) continue;
                // parse_str's view of the command: keys MESSAGES[i][...] name element i.
                var query = QueryHelpers.ParseQuery(text[(question + 1)..]);
                var elements = query.Keys
                    .Where(k => k.StartsWith("MESSAGES[", StringComparison.OrdinalIgnoreCase))
                    .Select(k => k[9..k.IndexOf(']', StringComparison.Ordinal)])
                    .Distinct()
                    .Count();
                var line = query.TryGetValue("LINE", out var l) && int.TryParse(l.ToString(), CultureInfo.InvariantCulture, out var n) ? n : 0;
                yield return new Command(method, line, elements, InBatch: true);
            }
            yield break;
        }
        if (!call.Method.StartsWith("imconnector.", StringComparison.Ordinal) || !call.Method.EndsWith(".messages", StringComparison.Ordinal)) yield break;
        var node = JsonNode.Parse(call.Parameters);
        var list = node?["MESSAGES"] ?? node?["messages"];
        var count = list is JsonArray a ? a.Count : list is JsonObject o ? o.Count : 0;
        var lineNode = node?["LINE"] ?? node?["line"];
        var plainLine = lineNode is not null && int.TryParse(lineNode.ToString(), CultureInfo.InvariantCulture, out var p) ? p : 0;
        yield return new Command(call.Method, plainLine, count, InBatch: false);
    }

    /// <summary>
    /// A running tally of one method's commands on one portal from the moment it is made: it reads only the calls it has
    /// not seen. Elements count only in calls the portal answered 200 (a <c>batch</c> answers 200 even when a command in
    /// it fails: the app's own tally, <see cref="DeliveryMetrics"/>, shows such failures as items put back or failed).
    /// </summary>
    public sealed class Tally(SandboxPortal portal, string method)
    {
        private int _seen = portal.Calls.Count;
        private readonly Dictionary<int, long> _perLine = [];

        /// <summary>Elements delivered in plain calls and in <c>batch</c> commands.</summary>
        public long Elements { get; private set; }

        /// <summary>Elements carried inside <c>batch</c> commands.</summary>
        public long BatchElements { get; private set; }

        /// <summary>Commands of the method answered 200: plain calls and commands inside <c>batch</c> requests.</summary>
        public int Commands { get; private set; }

        /// <summary>Plain calls of the method answered 200.</summary>
        public int PlainCalls { get; private set; }

        /// <summary><c>batch</c> requests answered 200 that carried at least one command of the method.</summary>
        public int BatchRequests { get; private set; }

        /// <summary>Calls of any method answered 503, and 429, on the portal.</summary>
        public int Refused503 { get; private set; }

        /// <inheritdoc cref="Refused503"/>
        public int Refused429 { get; private set; }

        /// <summary>Elements delivered per line.</summary>
        public IReadOnlyDictionary<int, long> PerLine => _perLine;

        /// <summary>Reads the calls recorded since the last look; returns <see cref="Elements"/>.</summary>
        public long Update()
        {
            var calls = portal.Calls;
            for (; _seen < calls.Count; _seen++)
            {
                var call = calls[_seen];
                if (call.Status == 503) Refused503++;
                if (call.Status == 429) Refused429++;
                if (call.Status != 200) continue;
                var carried = false;
                foreach (var command in Of(call).Where(c => c.Method == method))
                {
                    carried = true;
                    Commands++;
                    Elements += command.Elements;
                    if (command.InBatch) BatchElements += command.Elements;
                    _perLine[command.Line] = _perLine.GetValueOrDefault(command.Line) + command.Elements;
                }
                if (!carried) continue;
                if (call.Method == "batch") BatchRequests++;
                else PlainCalls++;
            }
            return Elements;
        }
    }
}
