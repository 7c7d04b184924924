using System.Security.Cryptography;
using System.Text;

namespace LineBridge.Replies;

public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec_test-secret";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"a-v1","type":"message.created"}""");
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Sign_IsTheHmacSha256OfTimestampDotBody_InLowerHex()
    {
        var timestamp = Now.ToUnixTimeSeconds();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{timestamp}.{Encoding.UTF8.GetString(Body)}")));

        Assert.Equal("sha256=" + expected, WebhookSignature.Sign(Secret, timestamp, Body));
    }

    [Fact]
    public void Sign_MatchesTheTestVectorInTheDocs()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"ping-1","type":"ping"}""");

        Assert.Equal("sha256=d03a4c0629132cffa3484be696874499b12f31594bf323146298f5de1bf42d38",
            WebhookSignature.Sign("whsec_example", 1764000000, body));
    }

    [Fact]
    public void Verify_AcceptsItsOwnSignature()
    {
        var ts = Now.ToUnixTimeSeconds();
        Assert.Null(WebhookSignature.Verify(Secret, WebhookSignature.Sign(Secret, ts, Body), ts.ToString(), Body, Now.AddSeconds(30)));
    }

    [Fact]
    public void Verify_RefusesAChangedBody_AnotherSecret_AndAChangedTimestamp()
    {
        var ts = Now.ToUnixTimeSeconds();
        var signature = WebhookSignature.Sign(Secret, ts, Body);
        var changed = Encoding.UTF8.GetBytes("""{"id":"a-v1","type":"message.deleted"}""");

        Assert.Contains("does not match", WebhookSignature.Verify(Secret, signature, ts.ToString(), changed, Now));
        Assert.Contains("does not match", WebhookSignature.Verify("whsec_other", signature, ts.ToString(), Body, Now));
        Assert.Contains("does not match", WebhookSignature.Verify(Secret, signature, (ts - 1).ToString(), Body, Now));
    }

    [Fact]
    public void Verify_RefusesAReplay_OutsideTheTolerance()
    {
        var old = Now.AddMinutes(-10).ToUnixTimeSeconds();
        var signature = WebhookSignature.Sign(Secret, old, Body);

        Assert.Contains("replay", WebhookSignature.Verify(Secret, signature, old.ToString(), Body, Now));
        Assert.Null(WebhookSignature.Verify(Secret, signature, old.ToString(), Body, Now, TimeSpan.FromMinutes(15)));
    }

    [Theory]
    [InlineData(null, "1")]
    [InlineData("md5=00", "1")]
    [InlineData("sha256=00", null)]
    [InlineData("sha256=00", "yesterday")]
    public void Verify_SaysWhichHeaderIsWrong_WhenOneIsMissingOrMalformed(string? signature, string? timestamp)
    {
        var problem = WebhookSignature.Verify(Secret, signature, timestamp, Body, Now);

        Assert.NotNull(problem);
        Assert.Contains(timestamp is null || timestamp == "yesterday" ? WebhookSignature.TimestampHeader : WebhookSignature.SignatureHeader, problem);
    }

    [Fact]
    public void NewSecret_IsRandomUrlSafeAndPrefixed()
    {
        var a = WebhookSignature.NewSecret();
        var b = WebhookSignature.NewSecret();

        Assert.NotEqual(a, b);
        Assert.StartsWith("whsec_", a);
        Assert.Matches("^whsec_[A-Za-z0-9_-]{43}$", a);
    }
}
