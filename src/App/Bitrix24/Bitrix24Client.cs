using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LineBridge.Bitrix24.Models;

namespace LineBridge.Bitrix24;

/// <summary>One portal's REST API, grouped by area. Get one from <see cref="Bitrix24ClientFactory"/>.</summary>
public class Bitrix24Client
{
    /// <summary>The name of the HttpClient (and its handler pipeline) registered by <c>AddBitrix24Client</c>.</summary>
    public const string HttpClientName = "Bitrix24";

    /// <summary>
    /// The HttpClient for verifying posted tokens: one attempt, short timeout, no retry and no share of a portal's rate
    /// budget (see <c>VerificationHandler</c>).
    /// </summary>
    public const string VerificationHttpClientName = "Bitrix24.Verification";

    private readonly HttpClient? _http;
    private readonly IPortalTokenSource? _tokens;

    /// <summary>For test doubles.</summary>
    protected Bitrix24Client()
    {
        Credentials = new PortalCredentials("");
        Connectors = new ConnectorClient();
        OpenLines = new OpenLinesClient();
        Events = new EventClient();
        Placements = new PlacementClient();
        App = new AppClient();
        Users = new UserClient();
    }

    public Bitrix24Client(HttpClient http, Bitrix24Credentials credentials, IPortalTokenSource? tokens = null)
    {
        _http = http;
        _tokens = tokens;
        Credentials = credentials;
        Connectors = new ConnectorClient(this);
        OpenLines = new OpenLinesClient(this);
        Events = new EventClient(this);
        Placements = new PlacementClient(this);
        App = new AppClient(this);
        Users = new UserClient(this);
    }

    /// <summary>Whose authority the calls carry.</summary>
    public Bitrix24Credentials Credentials { get; }

    /// <summary><c>imconnector.*</c></summary>
    public virtual ConnectorClient Connectors { get; }

    /// <summary><c>imopenlines.config.*</c></summary>
    public virtual OpenLinesClient OpenLines { get; }

    /// <summary><c>event.*</c></summary>
    public virtual EventClient Events { get; }

    /// <summary><c>placement.*</c></summary>
    public virtual PlacementClient Placements { get; }

    /// <summary><c>app.info</c></summary>
    public virtual AppClient App { get; }

    /// <summary><c>user.current</c>, <c>user.admin</c>, <c>profile</c></summary>
    public virtual UserClient Users { get; }

    /// <summary>
    /// Runs up to 50 commands in one request (one unit of the portal's rate budget). REST: <c>batch</c>.
    /// Failed commands come back in <see cref="BatchResult.Errors"/>; the call itself only throws when the batch does.
    /// </summary>
    public virtual async Task<BatchResult> BatchAsync(
        IReadOnlyDictionary<string, BatchCommand> commands, bool halt = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var cmd = commands.ToDictionary(c => c.Key, c => c.Value.ToQuery());
        var response = await CallAsync(Bitrix24Methods.Batch, new { halt = halt ? 1 : 0, cmd }, cancellationToken);
        return BatchResult.Parse(response.Result);
    }

    /// <summary>Calls any REST method and returns its <c>result</c>; throws <see cref="Bitrix24Exception"/> on failure.</summary>
    public virtual async Task<JsonElement> CallMethodAsync(string method, object? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        return (await CallAsync(method, parameters, cancellationToken)).Result;
    }

    internal async Task<Bitrix24Response> CallAsync(string method, object? parameters, CancellationToken cancellationToken)
    {
        if (_http is null) throw new InvalidOperationException("This Bitrix24Client is a test double without a transport.");
        var restBase = await RestBaseAsync(cancellationToken);
        var body = JsonSerializer.SerializeToUtf8Bytes(parameters ?? new { }, Bitrix24Json.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(restBase, method))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Options.Set(Bitrix24Request.Credentials, Credentials);
        request.Options.Set(Bitrix24Request.Method, method);
        request.Options.Set(Bitrix24Request.Retriable, Bitrix24Methods.IsRetriable(method));
        request.Options.Set(Bitrix24Request.Body, body);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new Bitrix24Exception(method, 0, Bitrix24Errors.NetworkError, $"The portal could not be reached: {ex.Message}", ex);
        }
        catch (Bitrix24Exception ex) when (ex.Method != method)
        {
            // Raised by the token layer (portal not installed, refresh refused): name the call the caller made.
            throw new Bitrix24Exception(method, ex.StatusCode, ex.ErrorCode, ex.ErrorDescription, ex);
        }
        catch (TimeoutException ex)
        {
            throw new Bitrix24Exception(method, 0, Bitrix24Errors.NetworkError, "The portal did not answer in time.", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new Bitrix24Exception(method, 0, Bitrix24Errors.NetworkError, "The portal did not answer in time.", ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return Bitrix24Response.Parse(method, response.StatusCode, text);
        }
    }

    private async ValueTask<Uri> RestBaseAsync(CancellationToken cancellationToken)
    {
        var restBase = Credentials switch
        {
            UserCredentials user => user.RestBase,
            PortalCredentials portal when _tokens is not null => (await _tokens.GetAccessAsync(portal.MemberId, cancellationToken)).RestBase,
            _ => throw new InvalidOperationException("Portal credentials need an IPortalTokenSource."),
        };
        return restBase.AbsoluteUri.EndsWith('/') ? restBase : new Uri(restBase.AbsoluteUri + "/");
    }
}

/// <summary>A successful envelope: <c>result</c>, and <c>total</c>/<c>next</c> for list methods.</summary>
internal sealed record Bitrix24Response(JsonElement Result, int? Total, int? Next, Bitrix24Time? Time = null)
{
    public static Bitrix24Response Parse(string method, HttpStatusCode status, string body)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(body);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new Bitrix24Exception(method, status, Bitrix24Errors.UnexpectedAnswer,
                $"The portal answered HTTP {(int)status} without a JSON body.");
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
        {
            var description = root.TryGetProperty("error_description", out var d) ? Bitrix24Json.AsString(d) ?? "" : "";
            throw new Bitrix24Exception(method, status, Bitrix24Json.AsString(error) ?? "", description);
        }
        if ((int)status is < 200 or > 299)
        {
            throw new Bitrix24Exception(method, status, Bitrix24Errors.UnexpectedAnswer, $"The portal answered HTTP {(int)status}.");
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("result", out var result))
        {
            throw new Bitrix24Exception(method, status, Bitrix24Errors.UnexpectedAnswer, "The portal's answer has no result.");
        }
        return new Bitrix24Response(result, Bitrix24Json.Int(root, "total"), Bitrix24Json.Int(root, "next"), Bitrix24Time.From(root));
    }
}
