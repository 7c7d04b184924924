using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace LineBridge.Outbound;

/// <summary>What kind of network an IP address belongs to, as far as sending data to it is concerned.</summary>
public enum AddressKind
{
    /// <summary>A public unicast address.</summary>
    Public,
    /// <summary>127.0.0.0/8, ::1.</summary>
    Loopback,
    /// <summary>10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (and the deprecated IPv6 site-local fec0::/10).</summary>
    Private,
    /// <summary>169.254.0.0/16 (cloud metadata lives here), fe80::/10.</summary>
    LinkLocal,
    /// <summary>100.64.0.0/10, carrier-grade NAT (RFC 6598).</summary>
    CarrierGradeNat,
    /// <summary>fc00::/7, IPv6 unique local addresses.</summary>
    UniqueLocal,
    /// <summary>224.0.0.0/4, ff00::/8.</summary>
    Multicast,
    /// <summary>0.0.0.0/8 ("this network"), ::.</summary>
    Unspecified,
    /// <summary>240.0.0.0/4 and 255.255.255.255, reserved or broadcast.</summary>
    Reserved,
}

/// <summary>Section <c>Outbound</c>: which non-public destinations the server's operator allows for user-chosen addresses.</summary>
public sealed class DestinationOptions
{
    public const string Section = "Outbound";

    /// <summary>
    /// Kinds of address allowed besides <see cref="AddressKind.Public"/>, e.g. <c>["Loopback"]</c> (sandbox mode and
    /// tests) or <c>["Private"]</c> for receivers on the operator's own network. Default: none.
    /// </summary>
    public List<string> Allow { get; set; } = [];

    /// <summary>The kinds <see cref="Allow"/> names (empty entries ignored); throws on an unknown name.</summary>
    public IReadOnlySet<AddressKind> AllowedKinds() =>
        Allow.Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => Enum.Parse<AddressKind>(a.Trim(), ignoreCase: true)).ToHashSet();
}

/// <summary>The connection was not made because the destination's address is not allowed.</summary>
public sealed class DestinationRefusedException(string message) : Exception(message);

/// <summary>
/// The policy for every address a portal user chooses (webhook URLs now): the destination is checked on the resolved
/// IP at connect time (<see cref="SocketsHttpHandler.ConnectCallback"/>), so neither a host name that resolves to an
/// internal address, nor a numeric spelling of one (<c>http://2130706433/</c>), nor a DNS answer that changes between
/// the check and the connection gets past it. Only public addresses are reached unless the server's operator allows
/// more (<see cref="DestinationOptions.Allow"/>).
/// </summary>
public sealed class DestinationPolicy(IOptions<DestinationOptions> options)
{
    private readonly IReadOnlySet<AddressKind> _allowed = options.Value.AllowedKinds();

    /// <summary>The kind of <paramref name="address"/>; IPv4 embedded in IPv6 (mapped, NAT64, 6to4) counts as its IPv4.</summary>
    public static AddressKind Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) return ClassifyV4(address.MapToIPv4().GetAddressBytes());
        if (address.AddressFamily == AddressFamily.InterNetwork) return ClassifyV4(address.GetAddressBytes());

        var b = address.GetAddressBytes();
        if (address.Equals(IPAddress.IPv6Loopback)) return AddressKind.Loopback;
        if (address.Equals(IPAddress.IPv6None)) return AddressKind.Unspecified;
        if (b[0] == 0xff) return AddressKind.Multicast;
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressKind.LinkLocal;
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressKind.Private;
        if ((b[0] & 0xfe) == 0xfc) return AddressKind.UniqueLocal;
        // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) carry an IPv4 address that decides where the packets go.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0) return ClassifyV4(b[12..16]);
        if (b[0] == 0x20 && b[1] == 0x02) return ClassifyV4(b[2..6]);
        // ::a.b.c.d (IPv4-compatible, deprecated) and the rest of ::/96.
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0) return ClassifyV4(b[12..16]);
        return AddressKind.Public;
    }

    private static AddressKind ClassifyV4(byte[] b) => b switch
    {
        [0, ..] => AddressKind.Unspecified,
        [127, ..] => AddressKind.Loopback,
        [10, ..] => AddressKind.Private,
        [172, >= 16 and <= 31, ..] => AddressKind.Private,
        [192, 168, ..] => AddressKind.Private,
        [169, 254, ..] => AddressKind.LinkLocal,
        [100, >= 64 and <= 127, ..] => AddressKind.CarrierGradeNat,
        [>= 224 and <= 239, ..] => AddressKind.Multicast,
        [>= 240, ..] => AddressKind.Reserved,
        _ => AddressKind.Public,
    };

    /// <summary>True when LineBridge may connect to <paramref name="address"/>.</summary>
    public bool IsAllowed(IPAddress address)
    {
        var kind = Classify(address);
        return kind == AddressKind.Public || _allowed.Contains(kind);
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host, keeps the allowed addresses and connects
    /// to one of them; throws <see cref="DestinationRefusedException"/> (wrapped by HttpClient) when none is allowed.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(IsAllowed).ToArray();
        if (allowed.Length == 0)
        {
            throw new DestinationRefusedException("The destination's address is not allowed by LineBridge's outbound policy.");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The primary handler for every HttpClient that reaches user-chosen addresses: this policy, no proxy, no redirects.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = ConnectAsync,
    };
}
