namespace LineBridge.Bitrix24.Models;

/// <summary>A row of <c>event.get</c>.</summary>
public sealed record EventBinding(string Event, string Handler, string? AuthType, bool Offline);

/// <summary>A row of <c>placement.get</c>.</summary>
public sealed record PlacementBinding(string Placement, string Handler, string? Title, IReadOnlyDictionary<string, string> Fields);

/// <summary>Arguments of <c>placement.bind</c>.</summary>
public sealed record PlacementBindRequest(string Placement, string Handler, string? Title = null, string? Description = null);
