using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace LineBridge.EndToEnd.Infrastructure;

/// <summary>The external system: sends customer messages to LineBridge's API with the portal's key.</summary>
public sealed class ExternalSystem(SandboxedApp app, string apiKey)
{
    public async Task SendAsync(
        int lineId, string chatId, string messageId, string text, string userId = "customer-1", string userName = "Alice", string? chatName = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/lines/{lineId}/messages")
        {
            Content = JsonContent.Create(new
            {
                messages = new[]
                {
                    new
                    {
                        user = new { id = userId, name = userName },
                        chat = new { id = chatId, name = chatName ?? $"Chat {chatId}" },
                        message = new { id = messageId, text },
                    },
                },
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await app.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"send failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Sends one message as given (any fields of a <c>MESSAGES</c> element, files included).</summary>
    public async Task SendRawAsync(int lineId, object message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/lines/{lineId}/messages")
        {
            Content = JsonContent.Create(new { messages = new[] { message } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await app.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"send failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
