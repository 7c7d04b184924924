namespace LineBridge.Storage;

/// <summary>Where the embedded database and the data-protection keys live. Section <c>Storage</c>.</summary>
public sealed class LiteDbOptions
{
    public const string Section = "Storage";

    /// <summary>Folder for the LiteDB file and the key ring; relative paths are under the content root.</summary>
    public string DataDirectory { get; set; } = "data";

    public string FileName { get; set; } = "linebridge.db";
}
