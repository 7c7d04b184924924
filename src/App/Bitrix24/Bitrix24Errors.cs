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
    /// <summary>The app was deleted from the portal or is inactive there (§3.3, SRC-ONLY).</summary>
    public const string ApplicationNotFound = "APPLICATION_NOT_FOUND";

    public const string UnexpectedAnswer = "ERROR_UNEXPECTED_ANSWER";
    public const string ErrorCore = "ERROR_CORE";

    /// <summary>Our own code for a call that got no answer at all (connection lost, timeout).</summary>
    public const string NetworkError = "NETWORK_ERROR";

    /// <summary>Our own code: the portal is not installed (unknown <c>member_id</c>, or uninstalled).</summary>
    public const string PortalNotInstalled = "PORTAL_NOT_INSTALLED";

    /// <summary>Our own code: the portal refused our refresh token; an administrator must open the app again.</summary>
    public const string ReauthorizationRequired = "REAUTHORIZATION_REQUIRED";
}
