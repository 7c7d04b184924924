namespace LineBridge.Bitrix24.Models;

/// <summary>An open line (<c>imopenlines.config.*</c>). <see cref="Fields"/> holds every scalar field as sent.</summary>
public sealed record OpenLine(int Id, string Name, bool Active, IReadOnlyDictionary<string, string> Fields);

/// <summary>Filters of <c>imopenlines.config.list.get</c>; paging is done by the client.</summary>
public sealed record OpenLinesQuery
{
    /// <summary>Only active lines (<c>filter: {ACTIVE: "Y"}</c>).</summary>
    public bool ActiveOnly { get; init; }

    /// <summary>Lines per request: 1..200 (the portal's maximum).</summary>
    public int PageSize { get; init; } = 50;
}
