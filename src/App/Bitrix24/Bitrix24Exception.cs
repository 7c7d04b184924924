using System.Net;

namespace LineBridge.Bitrix24;

/// <summary>
/// A Bitrix24 call failed. Carries what the portal said, so the reason can reach a person:
/// the HTTP status, the Bitrix24 <c>error</c> code (e.g. <c>NOT_ACTIVE_LINE</c>) and its description.
/// </summary>
public sealed class Bitrix24Exception(
    string method, HttpStatusCode statusCode, string errorCode, string errorDescription, Exception? inner = null)
    : Exception($"Bitrix24 {method} failed: {errorCode} ({(int)statusCode}) {errorDescription}", inner)
{
    /// <summary>The REST method that failed, e.g. <c>imconnector.send.messages</c>.</summary>
    public string Method { get; } = method;

    /// <summary>HTTP status of the portal's answer; 0 when no answer arrived (network failure, timeout).</summary>
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>The Bitrix24 <c>error</c> value; see <see cref="Bitrix24Errors"/>.</summary>
    public string ErrorCode { get; } = errorCode;

    /// <summary>The Bitrix24 <c>error_description</c>, as the portal wrote it.</summary>
    public string ErrorDescription { get; } = errorDescription;
}
