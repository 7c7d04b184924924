using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace LineBridge.Install;

/// <summary>
/// What a portal POSTs into an app frame (protocol reference §2.2): DOMAIN, PROTOCOL, LANG and APP_SID in the query
/// (read from the body too), the user's tokens and the app context in the form body. Nothing in it is trusted until
/// the portal confirms <see cref="AuthId"/>.
/// </summary>
public sealed partial record FramePost
{
    public required string? Domain { get; init; }
    public required string? Protocol { get; init; }
    public string? Language { get; init; }
    public string? AuthId { get; init; }
    public string? RefreshId { get; init; }
    public string? MemberId { get; init; }
    public string? ApplicationToken { get; init; }
    public string? ApplicationScope { get; init; }
    public string? Placement { get; init; }
    public string? PlacementOptions { get; init; }

    public static async Task<FramePost?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType) return null;
        var form = await request.ReadFormAsync(cancellationToken);
        string? Field(string name) =>
            request.Query.TryGetValue(name, out var q) && q.Count > 0 && !string.IsNullOrEmpty(q[0]) ? q[0]
            : form.TryGetValue(name, out var f) && f.Count > 0 && !string.IsNullOrEmpty(f[0]) ? f[0] : null;
        return new FramePost
        {
            Domain = Field("DOMAIN"),
            Protocol = Field("PROTOCOL"),
            Language = Field("LANG"),
            AuthId = Field("AUTH_ID"),
            RefreshId = Field("REFRESH_ID"),
            MemberId = Field("member_id") ?? Field("MEMBER_ID"),
            ApplicationToken = Field("APPLICATION_TOKEN"),
            ApplicationScope = Field("APPLICATION_SCOPE"),
            Placement = Field("PLACEMENT"),
            PlacementOptions = Field("PLACEMENT_OPTIONS"),
        };
    }

    /// <summary>The first required field that is missing, or null.</summary>
    public string? MissingField(bool needsRefreshId) =>
        string.IsNullOrEmpty(Domain) ? "DOMAIN"
        : string.IsNullOrEmpty(AuthId) ? "AUTH_ID"
        : string.IsNullOrEmpty(MemberId) ? "member_id"
        : needsRefreshId && string.IsNullOrEmpty(RefreshId) ? "REFRESH_ID"
        : null;

    /// <summary>
    /// The portal's REST base from DOMAIN and PROTOCOL. Null when DOMAIN is not a plain host[:port] (it must not be able
    /// to smuggle a path or credentials). SERVER_ENDPOINT is never used for REST.
    /// </summary>
    public static Uri? RestBase(string? domain, string? protocol)
    {
        if (string.IsNullOrEmpty(domain) || !HostAndPort().IsMatch(domain)) return null;
        var scheme = protocol == "0" ? "http" : "https";
        return Uri.TryCreate($"{scheme}://{domain}/rest/", UriKind.Absolute, out var uri) ? uri : null;
    }

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$")]
    private static partial Regex HostAndPort();

    public override string ToString() => $"FramePost {{ Domain = {Domain}, MemberId = {MemberId}, Placement = {Placement} }}";
}
