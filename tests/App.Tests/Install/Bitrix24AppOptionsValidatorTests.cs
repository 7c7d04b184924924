namespace LineBridge.Install;

public class Bitrix24AppOptionsValidatorTests
{
    private static string? Failure(Action<Bitrix24AppOptions> configure)
    {
        var options = new Bitrix24AppOptions();
        configure(options);
        var result = new Bitrix24AppOptionsValidator().Validate(null, options);
        return result.Failed ? result.FailureMessage : null;
    }

    [Fact]
    public void SandboxMode_WithoutClientId_NeedsNothing() => Assert.Null(Failure(_ => { }));

    [Fact]
    public void RealPortal_WithEverything_IsValid() =>
        Assert.Null(Failure(o => { o.ClientId = "local.1.2"; o.ClientSecret = "s"; o.PublicBaseUrl = "https://linebridge.example.com"; }));

    [Theory]
    [InlineData(null, "https://linebridge.example.com", "ClientSecret")]
    [InlineData("s", null, "PublicBaseUrl is required")]
    [InlineData("s", "not a url", "PublicBaseUrl is required")]
    [InlineData("s", "http://linebridge.example.com", "must use https")]
    public void RealPortal_NamesTheMissingSetting(string? secret, string? publicBaseUrl, string message) =>
        Assert.Contains(message, Failure(o => { o.ClientId = "local.1.2"; o.ClientSecret = secret; o.PublicBaseUrl = publicBaseUrl; }));

    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://localhost:5080")]
    public void RealPortal_AcceptsHttp_OnLoopback(string publicBaseUrl) =>
        Assert.Null(Failure(o => { o.ClientId = "local.1.2"; o.ClientSecret = "s"; o.PublicBaseUrl = publicBaseUrl; }));

    [Fact]
    public void ConnectorId_MustBeLowerCaseWithoutDots() =>
        Assert.Contains("ConnectorId", Failure(o => o.ConnectorId = "Line.Bridge"));
}
