using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LineBridge.Infrastructure;

/// <summary>
/// Debian's nginx as a child process on free loopback ports, in front of LineBridge instances, with a throwaway
/// self-signed certificate for 127.0.0.1. It runs docs/nginx/linebridge.conf itself, with the example's addresses,
/// ports and certificate paths swapped for the test's. Without nginx the test skips, except under CI=true (a failure,
/// the same rule as for PostgreSQL and Chromium).
/// </summary>
public sealed class TestNginx : IAsyncDisposable
{
    /// <summary>The instances' addresses as docs/nginx/linebridge.conf writes them, in order.</summary>
    private static readonly string[] ExampleInstances = ["127.0.0.1:5001", "127.0.0.1:5002"];

    private readonly Process _process;
    private readonly string _directory;

    private TestNginx(Process process, string directory, Uri httpsUri)
    {
        _process = process;
        _directory = directory;
        HttpsUri = httpsUri;
    }

    /// <summary>The proxy's TLS address, e.g. <c>https://127.0.0.1:41234/</c>.</summary>
    public Uri HttpsUri { get; }

    /// <summary>The error log so far (for assertion messages).</summary>
    public string ErrorLog => File.Exists(Path.Combine(_directory, "error.log")) ? File.ReadAllText(Path.Combine(_directory, "error.log")) : "";

    /// <summary>The nginx binary, or a skip (failure under CI=true) when it is not installed.</summary>
    public static string Require()
    {
        foreach (var candidate in new[] { "/usr/sbin/nginx", "/usr/bin/nginx" })
        {
            if (File.Exists(candidate)) return candidate;
        }
        var message = "nginx is not installed (`apt-get install -y nginx`; `bash .ci/run` installs it).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail(message + " Proxy tests must run under CI=true.");
        Assert.Skip(message + " Proxy test skipped.");
        return null!;
    }

    /// <summary>Starts nginx in front of <paramref name="instances"/> (as many as the documented example has).</summary>
    public static async Task<TestNginx> StartAsync(IReadOnlyList<Uri> instances, CancellationToken cancellationToken)
    {
        var binary = Require();
        if (instances.Count != ExampleInstances.Length) throw new ArgumentException($"The documented example has {ExampleInstances.Length} instances.", nameof(instances));
        var directory = Directory.CreateTempSubdirectory("linebridge-nginx-").FullName;
        WriteCertificate(directory);
        var httpsPort = FreePort();
        var httpPort = FreePort();

        var site = await File.ReadAllTextAsync(DocumentedConfig(), cancellationToken);
        for (var i = 0; i < instances.Count; i++) site = site.Replace(ExampleInstances[i], instances[i].Authority);
        site = site
            .Replace("listen 443 ssl;", $"listen 127.0.0.1:{httpsPort} ssl;")
            .Replace("listen 80;", $"listen 127.0.0.1:{httpPort};")
            .Replace("/etc/ssl/linebridge/", directory + "/");
        await File.WriteAllTextAsync(Path.Combine(directory, "linebridge.conf"), site, cancellationToken);
        // The rest of what /etc/nginx/nginx.conf would give, kept inside the temp folder.
        await File.WriteAllTextAsync(Path.Combine(directory, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            {{(Environment.IsPrivilegedProcess ? "user root;" : "")}}
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/client_body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                include {{directory}}/linebridge.conf;
            }
            """, cancellationToken);

        var process = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "-p", directory, "-c", Path.Combine(directory, "nginx.conf"), "-e", Path.Combine(directory, "error.log") },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var nginx = new TestNginx(process, directory, new Uri($"https://127.0.0.1:{httpsPort}/"));
        try
        {
            await SandboxedApp.WaitUntilAsync(() => process.HasExited || Accepts(httpsPort), "nginx listens");
            if (process.HasExited) throw new InvalidOperationException($"nginx did not start: {nginx.ErrorLog}");
            return nginx;
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HTTP handler that trusts the test's self-signed certificate (loopback only) and keeps no cookies.</summary>
    public static SocketsHttpHandler Handler() => new()
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string DocumentedConfig()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "docs", "nginx", "linebridge.conf");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("docs/nginx/linebridge.conf not found above the test's folder.");
    }

    private static void WriteCertificate(string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(directory, "fullchain.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "privkey.pem"), key.ExportPkcs8PrivateKeyPem());
    }
}
