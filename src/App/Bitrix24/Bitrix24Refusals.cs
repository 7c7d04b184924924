namespace LineBridge.Bitrix24;

/// <summary>
/// What a failed call says about the portal as a whole, read from the Bitrix24 error code alone (protocol reference
/// §3.2, §3.3, §9.1). Callers decide what to do; this only classifies, so every feature reads a refusal the same way.
/// </summary>
public static class Bitrix24Refusals
{
    /// <summary>
    /// The portal no longer has the app installed: it refuses the app's tokens as belonging to an app it does not
    /// know (<c>APPLICATION_NOT_FOUND</c>, 401, "app deleted/inactive"), or we hold no tokens for it since the
    /// uninstall (our own <c>PORTAL_NOT_INSTALLED</c>). Work for it waits for a reinstall; nothing can go out.
    /// </summary>
    public static bool IsAppNotInstalled(Bitrix24Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.ErrorCode is Bitrix24Errors.ApplicationNotFound or Bitrix24Errors.PortalNotInstalled;
    }

    /// <summary>
    /// The portal's paid or trial period for the app is over (<c>PAYMENT_REQUIRED</c>, "stop"): every call fails
    /// until the portal pays, so calls for it stop and resume with a probe now and then.
    /// </summary>
    public static bool IsPaymentRequired(Bitrix24Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.ErrorCode == Bitrix24Errors.PaymentRequired;
    }

    /// <summary>
    /// The connector does not work on the line now: the line's status is off (<c>NOT_ACTIVE_LINE</c>, also the
    /// older <c>SUCCESS:false</c> answer) or the portal does not know our connector (<c>IMCONNECTOR_NO_CORRECT_PROVIDER</c>,
    /// after an uninstall). The work waits until an administrator connects the line again.
    /// </summary>
    public static bool IsLineNotWorking(Bitrix24Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.ErrorCode is Bitrix24Errors.NotActiveLine or Bitrix24Errors.NoCorrectProvider;
    }

    /// <summary>
    /// The portal does not accept the app's stored access token as any token it issued (<c>NO_AUTH_FOUND</c>,
    /// <c>invalid_token</c>, 401; not <c>expired_token</c>, which a refresh mends): it was revoked, which is what an
    /// uninstall does before its event arrives. The work waits; it is not the work's fault.
    /// </summary>
    public static bool IsTokenRefused(Bitrix24Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.ErrorCode is Bitrix24Errors.NoAuthFound or Bitrix24Errors.InvalidToken;
    }
}
