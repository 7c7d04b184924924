using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace LineBridge.Infrastructure;

/// <summary>A request as it reached the wire: method, address, bearer token and body.</summary>
public sealed record RecordedRequest(HttpMethod Method, Uri Uri, string? BearerToken, string Body)
{
    /// <summary>The REST method name (last path segment), e.g. <c>imconnector.send.messages</c>.</summary>
    public string RestMethod => Uri.Segments[^1];
}

/// <summary>
/// The fake portal at the HTTP boundary: records every request and answers with what <see cref="Respond"/> says.
/// Thread-safe, for concurrency tests.
/// </summary>
public sealed class RecordingHandler(Func<RecordedRequest, HttpResponseMessage> respond) : HttpMessageHandler
{
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public Func<RecordedRequest, HttpResponseMessage> Respond { get; set; } = respond;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(request.Method, request.RequestUri!, request.Headers.Authorization?.Parameter, body);
        Requests.Enqueue(recorded);
        return Respond(recorded);
    }

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Fixture(string name, HttpStatusCode status = HttpStatusCode.OK) => Json(Fixtures.Read(name), status);
}

public static class Fixtures
{
    /// <summary>A Bitrix24 JSON answer from <c>Fixtures/</c>, shaped after the protocol reference's examples.</summary>
    public static string Read(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".json"));
}
