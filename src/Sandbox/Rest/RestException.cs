using System.Text.Json.Nodes;

namespace LineBridge.Sandbox.Rest;

/// <summary>A Bitrix24-shaped failure: HTTP status plus <c>{error, error_description}</c> and optional extra keys.</summary>
internal sealed class RestException(int status, string code, string description, JsonObject? extra = null)
    : Exception(description)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public JsonObject? Extra { get; } = extra;

    public JsonObject ToJson()
    {
        var body = new JsonObject { ["error"] = Code, ["error_description"] = Message };
        if (Extra is not null)
        {
            foreach (var (key, value) in Extra) body[key] = value?.DeepClone();
        }
        return body;
    }

    public static RestException Argument(string name) =>
        new(400, ErrorCodes.ErrorArgument, $"Argument '{name}' is null or empty", new JsonObject { ["argument"] = name });
}
