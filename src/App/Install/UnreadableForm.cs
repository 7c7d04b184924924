namespace LineBridge.Install;

/// <summary>
/// A form the framework cannot parse (a NUL in a value, a field over the size limit, a body cut short) is the
/// sender's mistake: answer 400 with the reason instead of letting the exception become a 500.
/// </summary>
internal static class UnreadableForm
{
    public static async ValueTask<object?> AsBadRequest(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (InvalidDataException ex)
        {
            return TypedResults.Problem(title: "Unreadable form", detail: $"The form could not be read: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
        catch (BadHttpRequestException ex)
        {
            return TypedResults.Problem(title: "Unreadable request", detail: $"The request could not be read: {ex.Message}", statusCode: ex.StatusCode);
        }
    }
}
