using System.Net;
using System.Net.Http.Headers;

namespace LineBridge.Bitrix24;

/// <summary>
/// Puts the call's token on the request, never in the URL (which may be logged): as the documented <c>auth</c> body
/// parameter, and as <c>Authorization: Bearer</c>, which the portal reads first. For the app's stored portal tokens it answers <c>expired_token</c> with one refresh shared by all concurrent callers and
/// one retry.
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
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var error = await Bitrix24Request.ReadErrorAsync(response, cancellationToken);
        if (error?.Code != Bitrix24Errors.ExpiredToken) return response;

        // The token source refreshes once per portal and persists the new pair before handing it out.
        var fresh = await tokens.RefreshAsync(credentials.MemberId, access.AccessToken, cancellationToken);
        response.Dispose();
        var retry = await Bitrix24Request.CloneAsync(request, cancellationToken);
        Authorize(retry, fresh.AccessToken);
        return await base.SendAsync(retry, cancellationToken);
    }

    private static void Authorize(HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (request.Options.TryGetValue(Bitrix24Request.Body, out var body)) request.Content = Bitrix24Request.WithAuth(body, token);
    }
}
