namespace LineBridge.Sandbox;

/// <summary>Bitrix24 error codes the sandbox answers with, in one place.</summary>
public static class ErrorCodes
{
    public const string NoAuthFound = "NO_AUTH_FOUND";
    public const string ExpiredToken = "expired_token";
    public const string InvalidToken = "invalid_token";
    public const string InsufficientScope = "insufficient_scope";
    public const string AccessDenied = "ACCESS_DENIED";
    public const string WrongAuthType = "WRONG_AUTH_TYPE";
    public const string ApplicationNotFound = "APPLICATION_NOT_FOUND";
    public const string InvalidCredentials = "INVALID_CREDENTIALS";
    public const string InvalidRequest = "INVALID_REQUEST";
    public const string MethodNotFound = "ERROR_METHOD_NOT_FOUND";
    public const string ErrorArgument = "ERROR_ARGUMENT";
    public const string ErrorCore = "ERROR_CORE";
    public const string InternalServerError = "INTERNAL_SERVER_ERROR";
    public const string QueryLimitExceeded = "QUERY_LIMIT_EXCEEDED";
    public const string OperationTimeLimit = "OPERATION_TIME_LIMIT";
    public const string BatchLengthExceeded = "ERROR_BATCH_LENGTH_EXCEEDED";
    public const string BatchMethodNotAllowed = "ERROR_BATCH_METHOD_NOT_ALLOWED";
    public const string EventNotFound = "ERROR_EVENT_NOT_FOUND";
    public const string WrongHandlerUrl = "ERROR_WRONG_HANDLER_URL";
    public const string UnsupportedProtocol = "ERROR_UNSUPPORTED_PROTOCOL";
    public const string PlacementNotFound = "ERROR_PLACEMENT_NOT_FOUND";
    public const string NotActiveLine = "NOT_ACTIVE_LINE";
    public const string NoCorrectProvider = "IMCONNECTOR_NO_CORRECT_PROVIDER";
    public const string NotAllRequiredData = "IMCONNECTOR_NOT_ALL_THE_REQUIRED_DATA";
    public const string ChatRenamingFailed = "CHAT_RENAMING_FAILED";
    public const string RegistrationErrorPoint = "APPLICATION_REGISTRATION_ERROR_POINT";
    public const string RegistrationError = "APPLICATION_REGISTRATION_ERROR";
    public const string ConnectorIdRequired = "CONNECTOR_ID_REQUIRED";
    public const string NameRequired = "NAME_REQUIRED";
    public const string IconRequired = "ICON_REQUIRED";
    public const string NoApplicationId = "NO_APPLICATION_ID";
    public const string NoPlacementHandler = "NO_PLACEMENT_HANDLER";
    public const string GeneralRegistrationError = "GENERAL_CONNECTOR_REGISTRATION_ERROR";
    public const string UnregistrationError = "APPLICATION_UNREGISTRATION_ERROR";
    public const string InvalidFormat = "INVALID_FORMAT";
    public const string ConfigIdEmpty = "CONFIG_ID_EMPTY";
    public const string ConfigNotFound = "CONFIG_NOT_FOUND";
    public const string DialogIdEmpty = "DIALOG_ID_EMPTY";
    public const string AccessError = "ACCESS_ERROR";

    // OAuth server errors (§3.2).
    public const string OAuthInvalidRequest = "invalid_request";
    public const string OAuthInvalidClient = "invalid_client";
    public const string OAuthInvalidGrant = "invalid_grant";
}

/// <summary>Bitrix24 event names the sandbox fires.</summary>
public static class EventNames
{
    public const string AppInstall = "ONAPPINSTALL";
    public const string AppUninstall = "ONAPPUNINSTALL";
    public const string AppUpdate = "ONAPPUPDATE";
    public const string MessageAdd = "ONIMCONNECTORMESSAGEADD";
    public const string MessageUpdate = "ONIMCONNECTORMESSAGEUPDATE";
    public const string MessageDelete = "ONIMCONNECTORMESSAGEDELETE";
    public const string DialogStart = "ONIMCONNECTORDIALOGSTART";
    public const string DialogFinish = "ONIMCONNECTORDIALOGFINISH";
    public const string StatusDelete = "ONIMCONNECTORSTATUSDELETE";
    public const string LineDelete = "ONIMCONNECTORLINEDELETE";

    internal static readonly string[] Basic = [AppInstall, AppUninstall, AppUpdate];
    internal static readonly string[] OpenLines = [MessageAdd, MessageUpdate, MessageDelete, DialogStart, DialogFinish, StatusDelete, LineDelete];
}
