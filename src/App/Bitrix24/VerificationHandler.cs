namespace LineBridge.Bitrix24;

/// <summary>
/// The innermost handler of the verification pipeline (<see cref="Bitrix24Client.VerificationHttpClientName"/>):
/// one attempt with a short timeout, no retry, no share of any portal's rate budget. Calls made to check a posted
/// token are made on behalf of someone not yet verified, so they must neither wait in a portal's queue nor repeat.
/// </summary>
internal sealed class VerificationHandler : DelegatingHandler
{
    /// <summary>How long one verification call may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return await base.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No answer within {Timeout}.", ex);
        }
    }
}
