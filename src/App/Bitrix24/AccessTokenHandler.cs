using System.Net;
using System.Net.Http.Headers;

namespace LineBridge.Bitrix24;

/// <summary>
/// Puts the call's token on the request, never in the URL (which may be logged): as the documented <c>auth</c> body
/// parameter, and as <c>Authorization: Bearer</c>, which the portal reads first. For the app's stored portal tokens it answers <c>expired_token</c> with one refresh shared by all concurrent callers and
/// one retry. A portal whose domain was renamed answers REST with a 302 to its new address (§4): the same POST is
/// re-sent there only once a token refresh (which goes to the OAuth server, never to the redirect target) names that
/// address as the portal's <c>client_endpoint</c>; the refresh also stores it. A token never goes to an address the
/// token server has not confirmed.
/// </summary>
internal sealed class AccessTokenHandler(IServiceProvider services) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var credentials = Bitrix24Request.CredentialsOf(request)
            ?? throw new InvalidOperationException("A Bitrix24 request needs credentials in its options.");

        if (credentials is UserCredentials user)
        {
            Authorize(request, user.AccessToken);
            return await base.SendAsync(request, cancellationToken);
        }

        var tokens = services.GetRequiredService<IPortalTokenSource>();
        var access = await tokens.GetAccessAsync(credentials.MemberId, cancellationToken);
        Authorize(request, access.AccessToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            var error = await Bitrix24Request.ReadErrorAsync(response, cancellationToken);
            if (error?.Code != Bitrix24Errors.ExpiredToken) return response;

            // The token source refreshes once per portal and persists the new pair before handing it out.
            var fresh = await tokens.RefreshAsync(credentials.MemberId, access.AccessToken, cancellationToken);
            response.Dispose();
            var retry = await Bitrix24Request.CloneAsync(request, cancellationToken);
            Authorize(retry, fresh.AccessToken);
            access = fresh;
            response = await base.SendAsync(retry, cancellationToken);
        }
        return IsRedirect(response.StatusCode) ? await FollowRenameAsync(request, response, access, tokens, credentials.MemberId, cancellationToken) : response;
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.Found or HttpStatusCode.MovedPermanently or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>
    /// The portal moved. Refresh the tokens (the OAuth server answers with the portal's <c>client_endpoint</c> and the
    /// token source stores it); re-send the same POST there only when it is where the 302 pointed. Otherwise nothing
    /// is sent and the call fails with <see cref="Bitrix24Errors.UnprovenRedirect"/>.
    /// </summary>
    private async Task<HttpResponseMessage> FollowRenameAsync(
        HttpRequestMessage request, HttpResponseMessage response, PortalAccess used, IPortalTokenSource tokens, string memberId,
        CancellationToken cancellationToken)
    {
        var method = Bitrix24Request.MethodOf(request);
        var location = response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(request.RequestUri!, l)) : null;
        var status = response.StatusCode;
        response.Dispose();
        if (location is null)
        {
            throw new Bitrix24Exception(method, status, Bitrix24Errors.UnexpectedAnswer, "The portal answered a redirect without a Location.");
        }

        var proven = await tokens.RefreshAsync(memberId, used.AccessToken, cancellationToken);
        var target = new Uri(WithSlash(proven.RestBase), method);
        if (!SameEndpoint(location, target) && proven.AccessToken != used.AccessToken)
        {
            // Another call of this portal refreshed after ours left but before the rename (several calls of a portal
            // are out at once), so the shared refresh handed back tokens that predate the move. Only a refresh made
            // now can prove the new address: ask the token server once more.
            proven = await tokens.RefreshAsync(memberId, proven.AccessToken, cancellationToken);
            target = new Uri(WithSlash(proven.RestBase), method);
        }
        if (!SameEndpoint(location, target))
        {
            throw new Bitrix24Exception(method, status, Bitrix24Errors.UnprovenRedirect,
                $"The portal answered a redirect to {location.GetLeftPart(UriPartial.Authority)}, which its token server does not confirm as the portal's address ({proven.RestBase.GetLeftPart(UriPartial.Authority)}); nothing was sent there.");
        }
        var moved = await Bitrix24Request.CloneAsync(request, cancellationToken);
        // Same method, same body: a POST stays a POST (a followed 302 would have turned it into a GET).
        moved.RequestUri = target;
        Authorize(moved, proven.AccessToken);
        var answer = await base.SendAsync(moved, cancellationToken);
        if (IsRedirect(answer.StatusCode))
        {
            answer.Dispose();
            throw new Bitrix24Exception(method, status, Bitrix24Errors.UnexpectedAnswer, "The portal's new address answered another redirect.");
        }
        return answer;
    }

    private static Uri WithSlash(Uri restBase) => restBase.AbsoluteUri.EndsWith('/') ? restBase : new Uri(restBase.AbsoluteUri + "/");

    // Scheme, host, port and path must match; the query (none is sent) does not matter.
    private static bool SameEndpoint(Uri location, Uri target) =>
        Uri.Compare(location, target, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static void Authorize(HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (request.Options.TryGetValue(Bitrix24Request.Body, out var body)) request.Content = Bitrix24Request.WithAuth(body, token);
    }
}
