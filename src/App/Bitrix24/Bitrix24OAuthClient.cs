using System.Globalization;
using System.Net;
using Duende.IdentityModel.Client;
using LineBridge.Install;
using Microsoft.Extensions.Options;

namespace LineBridge.Bitrix24;

/// <summary>A fresh token pair and the portal facts the token server returns with it (protocol reference §3.2).</summary>
public sealed record OAuthTokens(
    string AccessToken, string RefreshToken, DateTimeOffset ExpiresAt, string MemberId, string? ClientEndpoint,
    string? ServerEndpoint, string? Scope, int? UserId)
{
    public override string ToString() => $"OAuthTokens {{ MemberId = {MemberId}, ClientEndpoint = {ClientEndpoint}, ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>
/// Bitrix24's token endpoint (<c>{OAuthServer}/oauth/token/</c>). Results are read as Duende <see cref="TokenResponse"/>
/// values; a refusal throws <see cref="Bitrix24Exception"/> with the server's code (<c>invalid_grant</c>, ...).
/// </summary>
public class Bitrix24OAuthClient(HttpClient http, IOptions<Bitrix24AppOptions> options, TimeProvider time)
{
    public const string HttpClientName = "Bitrix24.OAuth";
    private const string Endpoint = "oauth/token/";

    /// <summary>Exchanges a refresh token for a new pair. The old refresh token is spent whatever happens next.</summary>
    public virtual async Task<OAuthTokens> RefreshAsync(string refreshToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(refreshToken);
        var o = options.Value;
        if (string.IsNullOrEmpty(o.ClientId) || string.IsNullOrEmpty(o.ClientSecret))
        {
            throw new Bitrix24Exception(Endpoint, 0, Bitrix24Errors.InvalidClient, "Bitrix24:ClientId and Bitrix24:ClientSecret are not configured.");
        }

        // Bitrix24 documents the refresh as a GET with the query string; the secret only ever goes to the OAuth server.
        var query = string.Join('&', new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = o.ClientId, ["client_secret"] = o.ClientSecret, ["refresh_token"] = refreshToken,
        }.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        var server = o.OAuthServer.EndsWith('/') ? o.OAuthServer : o.OAuthServer + "/";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(server), Endpoint + "?" + query));

        HttpResponseMessage httpResponse;
        try
        {
            httpResponse = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new Bitrix24Exception(Endpoint, 0, Bitrix24Errors.NetworkError, $"The OAuth server could not be reached: {ex.Message}", ex);
        }

        using var response = await ProtocolResponse.FromHttpResponseAsync<TokenResponse>(httpResponse);
        if (response.IsError || string.IsNullOrEmpty(response.AccessToken) || string.IsNullOrEmpty(response.RefreshToken))
        {
            var status = response.HttpStatusCode == 0 ? HttpStatusCode.BadGateway : response.HttpStatusCode;
            // On a non-2xx answer Duende reports the reason phrase as the error; the server's own code is in the body.
            var code = BodyError(response) ?? (response.ErrorType == ResponseErrorType.Http ? null : response.Error) ?? Bitrix24Errors.UnexpectedAnswer;
            throw new Bitrix24Exception(Endpoint, status, code, response.ErrorDescription ?? "The OAuth server refused the refresh token.");
        }

        var expiresIn = response.ExpiresIn > 0 ? response.ExpiresIn : 3600;
        var expires = long.TryParse(response.TryGet("expires"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var e)
            ? DateTimeOffset.FromUnixTimeSeconds(e) : time.GetUtcNow().AddSeconds(expiresIn);
        return new OAuthTokens(
            response.AccessToken!, response.RefreshToken!, expires, response.TryGet("member_id") ?? "",
            response.TryGet("client_endpoint"), response.TryGet("server_endpoint"), response.Scope ?? response.TryGet("scope"),
            int.TryParse(response.TryGet("user_id"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var u) ? u : null);
    }

    private static string? BodyError(TokenResponse response)
    {
        var json = response.Json;
        return json is { ValueKind: System.Text.Json.JsonValueKind.Object } o && o.TryGetProperty("error", out var e) &&
               e.ValueKind == System.Text.Json.JsonValueKind.String ? e.GetString() : null;
    }
}
