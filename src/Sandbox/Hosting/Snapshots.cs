namespace LineBridge.Sandbox;

/// <summary>
/// One REST call the portal received: lower-case method, parameters as JSON (auth stripped), HTTP status (0 when the
/// connection was dropped before processing), error code, and the injected fault if any (<c>drop</c>,
/// <c>error</c>, <c>unavailable</c>, <c>lost-response</c>).
/// </summary>
public sealed record RecordedCall(DateTimeOffset Time, string Method, string Parameters, int Status, string? Error, bool Webhook, string? Fault);

/// <summary>One event delivery attempt and its outcome (HTTP status, or the failure when none came back).</summary>
public sealed record EventDelivery(
    long Id, string Event, string Handler, int BindingId, string Data, DateTimeOffset Queued, DateTimeOffset? Completed, int? Status, string? Failure)
{
    /// <summary>True once the POST finished or failed.</summary>
    public bool Done => Completed is not null;
}

/// <summary>A registered connector.</summary>
public sealed record ConnectorInfo(string Id, string Name, string PlacementHandler, string OwnerClientId, IReadOnlyDictionary<string, bool> Flags);

/// <summary>The status row of a connector on a line (§7.1).</summary>
public sealed record LineStatusInfo(string Connector, int Line, bool Active, bool Connection, bool Register, bool Error, IReadOnlyDictionary<string, string> Data)
{
    /// <summary>ACTIVE and CONNECTION and REGISTER.</summary>
    public bool Configured => Active && Connection && Register;
    /// <summary>CONFIGURED and not ERROR: what gates message methods.</summary>
    public bool Status => Configured && !Error;
}

/// <summary>An event binding (<c>event.bind</c>).</summary>
public sealed record EventBindingInfo(int Id, string Event, string Handler, int AuthType, bool Offline);

/// <summary>A placement binding (<c>placement.bind</c> or a connector's SETTING_CONNECTOR).</summary>
public sealed record PlacementInfo(int Id, string Placement, string Handler, string Title, string? ConnectorId);

/// <summary>An open line.</summary>
public sealed record OpenLineInfo(int Id, string Name, bool Active);

/// <summary>A portal user.</summary>
public sealed record UserInfo(int Id, string Name, string LastName, bool Admin, bool External);

/// <summary>A dialog (chat) of an open line as the portal holds it, keyed by USER_CODE.</summary>
public sealed record DialogInfo(
    int ChatId, int SessionId, bool SessionClosed, string UserCode, string Connector, int Line, string ExternalChatId, int UserId, string? Name,
    IReadOnlyList<ChatMessageInfo> Messages);

/// <summary>A message in a dialog. Deleted messages are gone; edited ones are flagged.</summary>
public sealed record ChatMessageInfo(
    int Id, int AuthorId, bool FromOperator, string Text, IReadOnlyList<string> ConnectorMid, bool Edited, bool Sending, DateTimeOffset Date);

/// <summary>
/// What the portal POSTs into an app frame (§2.2): the target URL with <see cref="Query"/> appended, and the form body.
/// </summary>
public sealed record FramePost(Uri TargetUrl, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Form)
{
    /// <summary>The target URL with the query fields appended.</summary>
    public Uri Url
    {
        get
        {
            var separator = TargetUrl.Query.Length > 0 ? "&" : "?";
            return new Uri(TargetUrl + separator + string.Join('&', Query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")));
        }
    }

    /// <summary>The body as the browser would send it.</summary>
    public FormUrlEncodedContent ToContent() => new(Form);
}
