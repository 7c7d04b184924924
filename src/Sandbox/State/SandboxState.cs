using System.Text.Json.Nodes;

namespace LineBridge.Sandbox.State;

// The whole emulated world, kept as plain mutable classes so it can be saved to and loaded from one JSON file.
// Every access happens under SandboxStore.Gate.

internal sealed class SandboxState
{
    public string ClientId { get; set; } = "";
    public string ClientSecret { get; set; } = "";
    public string HandlerUrl { get; set; } = "";
    public string InstallUrl { get; set; } = "";
    public string Scopes { get; set; } = "";
    public long NextId { get; set; } = 1000;
    public List<PortalState> Portals { get; set; } = [];
    public Dictionary<string, TokenRecord> AccessTokens { get; set; } = [];
    public Dictionary<string, TokenRecord> RefreshTokens { get; set; } = [];

    public int NewId() => checked((int)NextId++);
}

internal sealed class TokenRecord
{
    public string MemberId { get; set; } = "";
    public int UserId { get; set; }
    public string Scope { get; set; } = "";
    public DateTimeOffset Expires { get; set; }
    // A rotated refresh token stays in the table (so reuse answers invalid_grant, not an unknown-token error) until its grace ends.
    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class PortalState
{
    public string MemberId { get; set; } = "";
    public bool AppAdded { get; set; }
    public bool AppInstalled { get; set; }
    /// <summary>The app's paid period is over: app-context REST calls answer 402 PAYMENT_REQUIRED (app.info still answers).</summary>
    public bool PaymentRequired { get; set; }
    public string ApplicationToken { get; set; } = "";
    public int AppId { get; set; }
    public string WebhookCode { get; set; } = "";
    public List<UserRecord> Users { get; set; } = [];
    public List<LineRecord> Lines { get; set; } = [];
    public List<ConnectorRecord> Connectors { get; set; } = [];
    public List<StatusRecord> Statuses { get; set; } = [];
    public List<BindingRecord> Bindings { get; set; } = [];
    public List<PlacementRecord> Placements { get; set; } = [];
    public Dictionary<string, int> ExternalUsers { get; set; } = [];
    public List<DialogRecord> Dialogs { get; set; } = [];
}

internal sealed class UserRecord
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public string LastName { get; set; } = "";
    public string Email { get; set; } = "";
    public string Position { get; set; } = "";
    public string Gender { get; set; } = "";
    public bool Admin { get; set; }
    public bool External { get; set; }
}

internal sealed class LineRecord
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public bool Active { get; set; }
    public DateTimeOffset Created { get; set; }
    public List<int> Queue { get; set; } = [];
}

internal sealed class ConnectorRecord
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string OwnerClientId { get; set; } = "";
    public string PlacementHandler { get; set; } = "";
    public string? Comment { get; set; }
    public JsonObject Icon { get; set; } = [];
    public JsonObject? IconDisabled { get; set; }
    public Dictionary<string, bool> Flags { get; set; } = [];
}

internal sealed class StatusRecord
{
    public string Connector { get; set; } = "";
    public int Line { get; set; }
    public bool Active { get; set; }
    public bool Connection { get; set; }
    public bool Register { get; set; }
    public bool Error { get; set; }
    public Dictionary<string, string> Data { get; set; } = [];

    public bool Configured => Active && Connection && Register;
    public bool Status => Configured && !Error;
}

internal sealed class BindingRecord
{
    public int Id { get; set; }
    public string Event { get; set; } = "";
    public string Handler { get; set; } = "";
    public int AuthType { get; set; }
    public int BoundBy { get; set; }
    public bool Offline { get; set; }
    public string ClientId { get; set; } = "";
}

internal sealed class PlacementRecord
{
    public int Id { get; set; }
    public string Placement { get; set; } = "";
    public string Handler { get; set; } = "";
    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public string? ConnectorId { get; set; }
}

internal sealed class DialogRecord
{
    public int ChatId { get; set; }
    public int SessionId { get; set; }
    public bool SessionClosed { get; set; }
    public string UserCode { get; set; } = "";
    public string Connector { get; set; } = "";
    public int Line { get; set; }
    public string ExternalChatId { get; set; } = "";
    public int UserId { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    public List<MessageRecord> Messages { get; set; } = [];
}

internal sealed class MessageRecord
{
    public int Id { get; set; }
    public int AuthorId { get; set; }
    public bool FromOperator { get; set; }
    public string Text { get; set; } = "";
    public List<string> ConnectorMid { get; set; } = [];
    public bool Edited { get; set; }
    public bool Sending { get; set; }
    public List<string> Files { get; set; } = [];
    public DateTimeOffset Date { get; set; }
}
