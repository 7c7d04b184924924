using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using LineBridge.Sandbox.State;
using Microsoft.AspNetCore.Http;

namespace LineBridge.Sandbox.Pages;

/// <summary>Renders portal pages into the embedded layout, and serves the embedded assets.</summary>
internal static class PageRenderer
{
    private static readonly Lazy<string> s_layout = new(() => Encoding.UTF8.GetString(Asset("layout.html")!));

    public static string H(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string S(int n) => n.ToString(CultureInfo.InvariantCulture);

    public static byte[]? Asset(string name)
    {
        var assembly = Assembly.GetExecutingAssembly();
        var resource = assembly.GetManifestResourceNames().FirstOrDefault(r => r.EndsWith(".Pages.Assets." + name, StringComparison.Ordinal));
        if (resource is null) return null;
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static IResult Page(PageContext page, string title, string body)
    {
        var users = new StringBuilder();
        foreach (var user in page.Users)
        {
            users.Append(CultureInfo.InvariantCulture, $"<option value=\"{user.Id}\"{(user.Id == page.UserId ? " selected" : "")}>{H(user.Name)} {H(user.LastName)} ({(user.Admin ? "administrator" : "operator")}, id {user.Id})</option>");
        }
        var html = s_layout.Value
            .Replace("{{lang}}", H(page.Lang))
            .Replace("{{title}}", H(title))
            .Replace("{{domain}}", H(page.Portal.Domain))
            .Replace("{{users}}", users.ToString())
            .Replace("{{body}}", body);
        return Results.Content(html, "text/html; charset=utf-8");
    }
}

/// <summary>Who is looking at a page: the portal (by the port the request came in on), the current user and language.</summary>
internal sealed class PageContext
{
    public required SandboxPortal Portal { get; init; }
    public required int UserId { get; init; }
    public required string Lang { get; init; }
    public required IReadOnlyList<UserRecord> Users { get; init; }
    public bool IsAdmin => Users.First(u => u.Id == UserId).Admin;

    /// <summary>The current user comes from <c>?user=ID</c> (remembered in a first-party cookie), else the administrator.</summary>
    public static PageContext? From(HttpContext http, SandboxCore core)
    {
        var portal = core.PortalByPort(http.Connection.LocalPort, http.Connection.LocalIpAddress);
        if (portal is null) return null;
        List<UserRecord> users;
        lock (core.Gate) users = [.. portal.State.Users.Where(u => !u.External)];
        var userCookie = "sandbox_user_" + portal.MemberId[..8];
        var langCookie = "sandbox_lang_" + portal.MemberId[..8];
        var cookieOptions = new CookieOptions { Path = "/", SameSite = SameSiteMode.Lax, HttpOnly = true };

        int? Parse(string? value) => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && users.Any(u => u.Id == id) ? id : null;
        var userId = Parse(http.Request.Query["user"]);
        if (userId is { } chosen) http.Response.Cookies.Append(userCookie, PageRenderer.S(chosen), cookieOptions);
        userId ??= Parse(http.Request.Cookies[userCookie]) ?? 1;

        var lang = http.Request.Query["lang"].ToString();
        if (lang.Length is 2 && lang.All(char.IsAsciiLetterLower)) http.Response.Cookies.Append(langCookie, lang, cookieOptions);
        else lang = http.Request.Cookies[langCookie] is { Length: 2 } remembered && remembered.All(char.IsAsciiLetterLower) ? remembered : portal.Options.Language;

        return new PageContext { Portal = portal, UserId = userId.Value, Lang = lang, Users = users };
    }
}
