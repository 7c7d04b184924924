using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Npgsql;

namespace LineBridge.Bench;

/// <summary>
/// A throwaway PostgreSQL cluster for one benchmark run, from the server's own binaries (Debian's
/// <c>/usr/lib/postgresql/N/bin</c>), on a free loopback port, with the server's default durability (<c>fsync</c> and
/// <c>synchronous_commit</c> on), so figures are not flattered by a development server's settings and can be taken
/// cold: <see cref="RestartColdAsync"/> restarts the server (empty shared buffers) and drops the cluster's files from
/// the OS page cache. PostgreSQL refuses to run as root: as root the cluster belongs to the <c>postgres</c> user.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private const int PosixFadvDontNeed = 4;

    private readonly string _bin;
    private readonly string _root;

    private PrivatePostgres(string bin, string root, int port, string password)
    {
        _bin = bin;
        _root = root;
        Port = port;
        ServerConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Password = password, Database = "postgres",
            MaxPoolSize = 200,
        }.ConnectionString;
    }

    public int Port { get; }

    /// <summary>The cluster's connection string (database <c>postgres</c>).</summary>
    public string ServerConnectionString { get; }

    private string DataDirectory => Path.Combine(_root, "cluster");

    /// <summary>Creates and starts the cluster; throws with what to install when there is no PostgreSQL.</summary>
    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderBy(d => d, StringComparer.Ordinal).LastOrDefault()
            : null;
        if (bin is null) throw new InvalidOperationException("No PostgreSQL server binaries (apt-get install postgresql).");
        var root = Directory.CreateTempSubdirectory("linebridge-bench-pg-").FullName;
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await File.WriteAllTextAsync(Path.Combine(root, "pw"), password);
        var port = FreePort();
        var pg = new PrivatePostgres(bin, root, port, password);
        if (IsRoot) await RunAsync("chown", ["-R", "postgres:", root]);
        await pg.AsPostgresAsync("initdb", ["-D", pg.DataDirectory, "-U", "postgres", $"--pwfile={Path.Combine(root, "pw")}",
            "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"]);
        await pg.StartServerAsync();
        return pg;
    }

    /// <summary>A new, empty database on the cluster; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// Restarts the server (its shared buffers start empty) and asks the kernel to drop the cluster's files from the
    /// page cache (<c>posix_fadvise</c> DONTNEED on each file, the way the LiteDB benchmark evicts its file; other
    /// processes' cached files are left alone). Returns how many MB of files were advised.
    /// </summary>
    public async Task<long> RestartColdAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await AsPostgresAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "stop"]);
        long bytes = 0;
        foreach (var file in Directory.EnumerateFiles(DataDirectory, "*", SearchOption.AllDirectories))
        {
            bytes += Evict(file);
        }
        await StartServerAsync();
        return bytes / 1024 / 1024;
    }

    /// <summary>Drops one file's pages from the OS page cache; returns its length (0 if it could not be opened).</summary>
    public static long Evict(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            _ = posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, PosixFadvDontNeed);
            return length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try { await AsPostgresAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private Task StartServerAsync() => AsPostgresAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "120", "-l", Path.Combine(_root, "server.log"),
        "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{_root}' -c max_connections=300", "start"]);

    private Task AsPostgresAsync(string tool, string[] arguments) => IsRoot
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments])
        : RunAsync(Path.Combine(_bin, tool), arguments);

    private static bool IsRoot => Environment.UserName == "root";

    private static async Task RunAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments.Take(2))} failed ({process.ExitCode}): {await error}{await output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_fadvise(int fd, long offset, long length, int advice);
}
