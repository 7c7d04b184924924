namespace LineBridge.Bitrix24;

/// <summary>Bitrix24 error codes the app reacts to (protocol reference §3.3, §4, §7, §9).</summary>
public static class Bitrix24Errors
{
    public const string QueryLimitExceeded = "QUERY_LIMIT_EXCEEDED";
    public const string OperationTimeLimit = "OPERATION_TIME_LIMIT";
    public const string ExpiredToken = "expired_token";
    public const string InvalidToken = "invalid_token";
    public const string NoAuthFound = "NO_AUTH_FOUND";
    public const string InvalidGrant = "invalid_grant";
    public const string InvalidClient = "invalid_client";
    public const string WrongAuthType = "WRONG_AUTH_TYPE";
    public const string AccessDenied = "ACCESS_DENIED";
    public const string InsufficientScope = "insufficient_scope";
    public const string NotActiveLine = "NOT_ACTIVE_LINE";
    public const string NoCorrectProvider = "IMCONNECTOR_NO_CORRECT_PROVIDER";
    public const string ErrorArgument = "ERROR_ARGUMENT";
    public const string MethodNotFound = "ERROR_METHOD_NOT_FOUND";
    public const string InternalServerError = "INTERNAL_SERVER_ERROR";
    public const string PortalDeleted = "PORTAL_DELETED";
    /// <summary>The portal's paid or trial period for the app is over (§3.2): stop calling until it pays.</summary>
    public const string PaymentRequired = "PAYMENT_REQUIRED";
    /// <summary>The app was deleted from the portal or is inactive there (§3.3, SRC-ONLY).</summary>
    public const string ApplicationNotFound = "APPLICATION_NOT_FOUND";

    public const string UnexpectedAnswer = "ERROR_UNEXPECTED_ANSWER";
    public const string ErrorCore = "ERROR_CORE";

    /// <summary>Our own code for a call that got no answer at all (connection lost, timeout).</summary>
    public const string NetworkError = "NETWORK_ERROR";

    /// <summary>Our own code: the portal is not installed (unknown <c>member_id</c>, or uninstalled).</summary>
    public const string PortalNotInstalled = "PORTAL_NOT_INSTALLED";

    /// <summary>
    /// Our own code: the portal answered a redirect to an address its token server does not confirm as the portal's
    /// <c>client_endpoint</c>; nothing was sent there.
    /// </summary>
    public const string UnprovenRedirect = "UNPROVEN_REDIRECT";

    /// <summary>Our own code: the portal refused our refresh token; an administrator must open the app again.</summary>
    public const string ReauthorizationRequired = "REAUTHORIZATION_REQUIRED";

    /// <summary>
    /// The HTTP status a call made alone answers with <paramref name="code"/> (protocol reference §4, system errors), for
    /// a <c>batch</c> command's error, which carries no status of its own; a method's own refusals answer 400.
    /// </summary>
    public static System.Net.HttpStatusCode StatusOf(string code) => code switch
    {
        InternalServerError or UnexpectedAnswer or PortalDeleted => System.Net.HttpStatusCode.InternalServerError,
        QueryLimitExceeded => System.Net.HttpStatusCode.ServiceUnavailable,
        OperationTimeLimit => System.Net.HttpStatusCode.TooManyRequests,
        PaymentRequired => System.Net.HttpStatusCode.PaymentRequired,
        ExpiredToken or NoAuthFound or InvalidToken => System.Net.HttpStatusCode.Unauthorized,
        AccessDenied or InsufficientScope => System.Net.HttpStatusCode.Forbidden,
        MethodNotFound => System.Net.HttpStatusCode.NotFound,
        _ => System.Net.HttpStatusCode.BadRequest,
    };
}
