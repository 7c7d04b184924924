namespace LineBridge.Bitrix24.Models;

/// <summary>
/// <c>app.info</c>: which application the token belongs to. <see cref="Code"/> is the client id of a local app.
/// <see cref="Fields"/> holds every scalar field as sent (some portals add <c>member_id</c>).
/// </summary>
public sealed record AppInfo(
    int? Id, string Code, int? Version, string? Status, bool Installed, string? LanguageId, string? License,
    IReadOnlyDictionary<string, string> Fields);

/// <summary>A portal user (<c>user.current</c>, <c>profile</c>). <see cref="IsAdmin"/> is known from <c>profile</c> only.</summary>
public sealed record PortalUser(int Id, string? Name, string? LastName, bool? IsAdmin, IReadOnlyDictionary<string, string> Fields)
{
    public string DisplayName => string.Join(' ', new[] { Name, LastName }.Where(s => !string.IsNullOrWhiteSpace(s))) is { Length: > 0 } n
        ? n : $"#{Id}";
}
