using LineBridge.Bitrix24.Models;

namespace LineBridge.Bitrix24;

/// <summary>The application as the portal sees it.</summary>
public class AppClient
{
    private readonly Bitrix24Client? _client;

    /// <summary>For test doubles.</summary>
    protected internal AppClient() { }

    internal AppClient(Bitrix24Client client) => _client = client;

    private Bitrix24Client Client => _client ?? throw new InvalidOperationException("This AppClient is a test double.");

    /// <summary>Which application the token belongs to and whether it is installed. REST: <c>app.info</c>.</summary>
    public virtual async Task<AppInfo> InfoAsync(CancellationToken cancellationToken = default)
    {
        var r = (await Client.CallAsync(Bitrix24Methods.AppInfo, null, cancellationToken)).Result;
        return new AppInfo(
            Bitrix24Json.Int(r, "ID"), Bitrix24Json.String(r, "CODE") ?? "", Bitrix24Json.Int(r, "VERSION"),
            Bitrix24Json.String(r, "STATUS"), Bitrix24Json.Bool(r, "INSTALLED"), Bitrix24Json.String(r, "LANGUAGE_ID"),
            Bitrix24Json.String(r, "LICENSE"), Bitrix24Json.Scalars(r));
    }
}

/// <summary>The user behind the token.</summary>
public class UserClient
{
    private readonly Bitrix24Client? _client;

    /// <summary>For test doubles.</summary>
    protected internal UserClient() { }

    internal UserClient(Bitrix24Client client) => _client = client;

    private Bitrix24Client Client => _client ?? throw new InvalidOperationException("This UserClient is a test double.");

    /// <summary>The current user. REST: <c>user.current</c>.</summary>
    public virtual async Task<PortalUser> CurrentAsync(CancellationToken cancellationToken = default)
    {
        var r = (await Client.CallAsync(Bitrix24Methods.UserCurrent, null, cancellationToken)).Result;
        return new PortalUser(Bitrix24Json.Int(r, "ID") ?? 0, Bitrix24Json.String(r, "NAME"), Bitrix24Json.String(r, "LAST_NAME"),
            null, Bitrix24Json.Scalars(r));
    }

    /// <summary>Whether the current user administers the portal. REST: <c>user.admin</c>.</summary>
    public virtual async Task<bool> IsAdminAsync(CancellationToken cancellationToken = default)
    {
        var r = await Client.CallAsync(Bitrix24Methods.UserAdmin, null, cancellationToken);
        return Bitrix24Json.AsBool(r.Result);
    }

    /// <summary>
    /// A portal user's display name as chats show it (<c>result.name</c>), e.g. an operator who replied. REST:
    /// <c>im.user.get</c> (scope <c>im</c>; b24restdocs api-reference/chats/users/im-user-get.md).
    /// </summary>
    /// <exception cref="Bitrix24Exception"><c>USER_NOT_EXISTS</c>, <c>ID_EMPTY</c>, <c>ACCESS_DENIED</c>.</exception>
    public virtual async Task<string?> ChatNameAsync(int userId, CancellationToken cancellationToken = default)
    {
        var r = (await Client.CallAsync(Bitrix24Methods.ImUserGet, new { ID = userId }, cancellationToken)).Result;
        return Bitrix24Json.String(r, "name") is { Length: > 0 } name ? name : null;
    }

    /// <summary>The current user's basic profile, with <c>ADMIN</c>. REST: <c>profile</c>.</summary>
    public virtual async Task<PortalUser> ProfileAsync(CancellationToken cancellationToken = default)
    {
        var r = (await Client.CallAsync(Bitrix24Methods.Profile, null, cancellationToken)).Result;
        return new PortalUser(Bitrix24Json.Int(r, "ID") ?? 0, Bitrix24Json.String(r, "NAME"), Bitrix24Json.String(r, "LAST_NAME"),
            Bitrix24Json.Bool(r, "ADMIN"), Bitrix24Json.Scalars(r));
    }
}
