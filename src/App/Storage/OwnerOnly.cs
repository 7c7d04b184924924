namespace LineBridge.Storage;

/// <summary>
/// Owner-only permissions for the data folder (0700) and its files (0600) on Unix: the folder holds the encrypted
/// tokens and, beside them, the key ring that decrypts them. On Windows the folder inherits its parent's ACL; put it
/// under the service account's profile there (install.md).
/// </summary>
public static class OwnerOnly
{
    private const UnixFileMode Directory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder (and parents) if needed and makes it owner-only, also when it already existed.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
            return;
        }
        System.IO.Directory.CreateDirectory(path, Directory);
        System.IO.File.SetUnixFileMode(path, Directory);
    }

    /// <summary>Makes an existing file owner-only (files created before this version included).</summary>
    public static void RestrictFile(string path)
    {
        if (OperatingSystem.IsWindows() || !System.IO.File.Exists(path)) return;
        System.IO.File.SetUnixFileMode(path, File);
    }
}
