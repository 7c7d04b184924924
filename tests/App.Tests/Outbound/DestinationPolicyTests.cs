using System.Net;
using Microsoft.Extensions.Options;

namespace LineBridge.Outbound;

/// <summary>The address classifier on literal addresses of every range; nothing here connects anywhere.</summary>
public sealed class DestinationPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", AddressKind.Loopback)]
    [InlineData("127.255.255.254", AddressKind.Loopback)]
    [InlineData("::1", AddressKind.Loopback)]
    [InlineData("::ffff:127.0.0.1", AddressKind.Loopback)]
    [InlineData("10.0.0.1", AddressKind.Private)]
    [InlineData("172.16.0.1", AddressKind.Private)]
    [InlineData("172.31.255.255", AddressKind.Private)]
    [InlineData("192.168.1.1", AddressKind.Private)]
    [InlineData("::ffff:10.1.2.3", AddressKind.Private)]
    [InlineData("fec0::1", AddressKind.Private)]
    [InlineData("169.254.169.254", AddressKind.LinkLocal)]
    [InlineData("fe80::1", AddressKind.LinkLocal)]
    [InlineData("100.64.0.1", AddressKind.CarrierGradeNat)]
    [InlineData("100.127.255.255", AddressKind.CarrierGradeNat)]
    [InlineData("fc00::1", AddressKind.UniqueLocal)]
    [InlineData("fd12:3456::1", AddressKind.UniqueLocal)]
    [InlineData("224.0.0.1", AddressKind.Multicast)]
    [InlineData("239.255.255.250", AddressKind.Multicast)]
    [InlineData("ff02::1", AddressKind.Multicast)]
    [InlineData("0.0.0.0", AddressKind.Unspecified)]
    [InlineData("0.1.2.3", AddressKind.Unspecified)]
    [InlineData("::", AddressKind.Unspecified)]
    [InlineData("240.0.0.1", AddressKind.Reserved)]
    [InlineData("255.255.255.255", AddressKind.Reserved)]
    [InlineData("64:ff9b::7f00:1", AddressKind.Loopback)]
    [InlineData("64:ff9b::a9fe:a9fe", AddressKind.LinkLocal)]
    [InlineData("2002:c0a8:0101::1", AddressKind.Private)]
    [InlineData("::127.0.0.1", AddressKind.Loopback)]
    [InlineData("8.8.8.8", AddressKind.Public)]
    [InlineData("172.32.0.1", AddressKind.Public)]
    [InlineData("100.128.0.1", AddressKind.Public)]
    [InlineData("169.255.0.1", AddressKind.Public)]
    [InlineData("2001:db8::1", AddressKind.Public)]
    [InlineData("2606:4700::1111", AddressKind.Public)]
    public void Classify_KnowsEveryRange(string literal, AddressKind expected) =>
        Assert.Equal(expected, DestinationPolicy.Classify(IPAddress.Parse(literal)));

    [Fact]
    public void OnlyPublicAddresses_AreAllowed_UnlessTheOperatorAllowsMore()
    {
        var strict = new DestinationPolicy(Options.Create(new DestinationOptions()));
        var loopback = new DestinationPolicy(Options.Create(new DestinationOptions { Allow = ["loopback", ""] }));

        Assert.True(strict.IsAllowed(IPAddress.Parse("8.8.8.8")));
        Assert.False(strict.IsAllowed(IPAddress.Loopback));
        Assert.False(strict.IsAllowed(IPAddress.Parse("169.254.169.254")));
        Assert.True(loopback.IsAllowed(IPAddress.Loopback));
        Assert.True(loopback.IsAllowed(IPAddress.IPv6Loopback));
        Assert.False(loopback.IsAllowed(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void AnUnknownKind_IsAConfigurationError() =>
        Assert.Throws<ArgumentException>(() => new DestinationOptions { Allow = ["Intranet"] }.AllowedKinds());
}
