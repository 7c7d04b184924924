using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LineBridge.Sandbox;

/// <summary>
/// The development certificate of the sandbox's optional HTTPS listeners, generated in memory at each start (no
/// developer certificate exists on the machines this runs on, and none is written to disk). Self-signed, valid for
/// <c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c> and every portal host, for 30 days. Clients that need to trust it
/// (the vendor SDK's <c>B24Hook</c> accepts only HTTPS) take its public part from <see cref="SandboxHost.Certificate"/>
/// or <c>GET /_sandbox/certificate</c> (PEM).
/// </summary>
internal static class SandboxCertificate
{
    public static X509Certificate2 Create(IEnumerable<string> hosts, DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=LineBridge sandbox portal", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        foreach (var host in hosts.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out var address) && !address.Equals(IPAddress.Loopback)) names.AddIpAddress(address);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        // Kestrel on Linux needs the private key in a form it can use for TLS; a PKCS#12 round trip gives that.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
