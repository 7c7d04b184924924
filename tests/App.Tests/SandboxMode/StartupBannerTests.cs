namespace LineBridge.SandboxMode;

public sealed class StartupBannerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lb-banner-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void WriteOwnerOnly_KeepsTheBanner_InAFileOnlyItsOwnerCanRead()
    {
        var path = Path.Combine(_folder, "data", StartupBanner.FileName);

        var written = StartupBanner.WriteOwnerOnly(path, "API key: lb_example\n");

        Assert.Equal(Path.GetFullPath(path), written);
        Assert.Equal("API key: lb_example\n", File.ReadAllText(written));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(written));
    }

    [Fact]
    public void WriteOwnerOnly_ReplacesAnOlderFile_WithOwnerOnlyPermissions()
    {
        var path = Path.Combine(_folder, StartupBanner.FileName);
        File.WriteAllText(path, "old");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        StartupBanner.WriteOwnerOnly(path, "new");

        Assert.Equal("new", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }
}
