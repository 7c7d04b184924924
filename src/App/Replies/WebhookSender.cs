using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LineBridge.Replies;

/// <summary>What a webhook answered: 2xx (with the external system's id when it gave one), or why not.</summary>
public sealed record WebhookAnswer(bool Success, int? StatusCode, string Detail, string? ExternalId = null);

/// <summary>POSTs signed bodies to webhooks. Never throws for the receiver's failures: they come back as answers.</summary>
public sealed class WebhookSender(IHttpClientFactory httpClients, TimeProvider time)
{
    public const string HttpClientName = "LineBridge.Webhooks";

    /// <summary>The whole answer for a webhook whose address the destination policy refuses: delivered or not, nothing more.</summary>
    public const string NotAllowed = "Not delivered: LineBridge delivers webhooks to public addresses only (the server's operator can allow others).";

    public async Task<WebhookAnswer> SendAsync(
        WebhookTarget target, string eventType, string eventId, string body, CancellationToken cancellationToken = default)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(target.Secret, timestamp, bytes));
        request.Headers.Add(WebhookSignature.EventHeader, eventType);
        request.Headers.Add(WebhookSignature.DeliveryHeader, eventId);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                return new WebhookAnswer(false, status, $"The webhook answered {status} {response.ReasonPhrase}.");
            }
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            return new WebhookAnswer(true, status, $"{status} {response.ReasonPhrase}", ExternalIdOf(answer));
        }
        catch (HttpRequestException ex) when (ex.InnerException is Outbound.DestinationRefusedException)
        {
            // Nothing about the target (status, reachability) is reported for a refused address.
            return new WebhookAnswer(false, null, NotAllowed);
        }
        catch (HttpRequestException ex)
        {
            return new WebhookAnswer(false, null, $"The webhook could not be reached ({ex.HttpRequestError}).");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookAnswer(false, null, "The webhook did not answer in time.");
        }
    }

    /// <summary>The external system's id from a 2xx body such as <c>{"id":"ext-123"}</c>; null when there is none.</summary>
    public static string? ExternalIdOf(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("id", out var id)) return null;
            var value = id.ValueKind switch
            {
                JsonValueKind.String => id.GetString(),
                JsonValueKind.Number => id.GetRawText(),
                _ => null,
            };
            return string.IsNullOrWhiteSpace(value) ? null : value;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
