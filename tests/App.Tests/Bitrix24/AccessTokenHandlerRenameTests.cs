using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Bitrix24;

/// <summary>
/// A rename met while several calls of one portal are out (issue 15 sends up to four at once): the shared refresh may
/// hand a call tokens another call refreshed before the move, which cannot prove the new address.
/// </summary>
public sealed class AccessTokenHandlerRenameTests
{
    private const string MemberId = "member-a";
    private static readonly Uri Old = new("http://127.0.0.3:9/rest/");
    private static readonly Uri New = new("http://127.0.0.5:9/rest/");

    [Fact]
    public async Task ARedirectMetWithTokensAnotherCallRefreshedBeforeTheRename_IsProvenByAFreshRefresh_AndTheCallGoesThere()
    {
        var tokens = new TokenServer();
        var portal = new RenamedPortal(onFirstCall: () =>
        {
            // While this call is at the portal another one refreshes (an expired token), still before the rename...
            tokens.Refresh(tokens.Current.AccessToken);
            // ...and then the portal moves: the token server names the new address from now on.
            tokens.Endpoint = New;
        });
        using var invoker = new HttpMessageInvoker(new AccessTokenHandler(
            new ServiceCollection().AddSingleton<IPortalTokenSource>(tokens).BuildServiceProvider()) { InnerHandler = portal });

        using var response = await invoker.SendAsync(Request(), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Old, New], portal.Calls.Select(c => new Uri(c.GetLeftPart(UriPartial.Authority) + "/rest/")));
        Assert.Equal(New, tokens.Current.RestBase);
    }

    private static HttpRequestMessage Request()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Old, "imconnector.send.messages"));
        request.Options.Set(Bitrix24Request.Credentials, new PortalCredentials(MemberId));
        request.Options.Set(Bitrix24Request.Method, "imconnector.send.messages");
        request.Options.Set(Bitrix24Request.Body, "{}"u8.ToArray());
        return request;
    }

    /// <summary>The token source's contract: one refresh per stale token; a caller whose token was replaced gets the stored pair.</summary>
    private sealed class TokenServer : IPortalTokenSource
    {
        private int _issued;

        public Uri Endpoint { get; set; } = Old;

        public PortalAccess Current { get; private set; } = new(Old, "token-0");

        public ValueTask<PortalAccess> GetAccessAsync(string memberId, CancellationToken cancellationToken = default) => ValueTask.FromResult(Current);

        public Task<PortalAccess> RefreshAsync(string memberId, string staleAccessToken, CancellationToken cancellationToken = default) =>
            Task.FromResult(Refresh(staleAccessToken));

        public PortalAccess Refresh(string stale)
        {
            if (stale != Current.AccessToken) return Current;
            return Current = new PortalAccess(Endpoint, $"token-{++_issued}");
        }
    }

    /// <summary>Answers 302 to the new address at the old one, 200 at the new one.</summary>
    private sealed class RenamedPortal(Action onFirstCall) : HttpMessageHandler
    {
        public List<Uri> Calls { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls.Add(request.RequestUri!);
            if (Calls.Count == 1) onFirstCall();
            if (request.RequestUri!.Host == Old.Host)
            {
                var moved = new HttpResponseMessage(HttpStatusCode.Found);
                moved.Headers.Location = new Uri(New, "imconnector.send.messages");
                return Task.FromResult(moved);
            }
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"result\":true}") });
        }
    }
}
