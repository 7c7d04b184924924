using System.Collections.Concurrent;
using LineBridge.Bitrix24;

namespace LineBridge.Messages;

/// <summary>
/// Names of portal users (operators who replied) as the portal's chats show them, from <c>im.user.get</c>, cached per
/// portal so a page of replies asks the portal once per operator and then not again for an hour. A lookup that fails
/// is remembered briefly and answers null: the UI then says "Operator #N" rather than failing the page.
/// </summary>
public sealed class PortalUserNames(Bitrix24ClientFactory clients, TimeProvider time, ILogger<PortalUserNames> logger)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan FailureLifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<(string MemberId, int UserId), (string? Name, DateTimeOffset Until)> _cache = new();

    /// <summary>The names of <paramref name="userIds"/> that the portal gave (unknown ones are missing).</summary>
    public async Task<IReadOnlyDictionary<int, string>> GetAsync(
        string memberId, IEnumerable<int> userIds, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var names = new Dictionary<int, string>();
        foreach (var id in userIds.Distinct())
        {
            if (!_cache.TryGetValue((memberId, id), out var cached) || cached.Until <= now)
            {
                cached = await LookUpAsync(memberId, id, now, cancellationToken);
                _cache[(memberId, id)] = cached;
            }
            if (cached.Name is { } name) names[id] = name;
        }
        return names;
    }

    private async Task<(string? Name, DateTimeOffset Until)> LookUpAsync(
        string memberId, int userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            var name = await clients.ForPortal(memberId).Users.ChatNameAsync(userId, cancellationToken);
            return (name, now + Lifetime);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A name is a nicety: the portal refusing (or being unreachable) must not fail the page.
            logger.LogDebug("The portal {MemberId} gave no name for user {UserId}: {Reason}", memberId, userId,
                ex is Bitrix24Exception b ? b.ErrorCode : ex.GetType().Name);
            return (null, now + FailureLifetime);
        }
    }
}
