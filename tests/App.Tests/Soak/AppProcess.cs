using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LineBridge.Soak;

/// <summary>
/// The real app as a separate OS process (<c>dotnet LineBridge.dll</c>), so it can be killed hard, mid-request and
/// mid-write, and started again on the same address and data folder. Settings go in through environment variables
/// (secrets never appear on a command line).
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly string _dll;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly Lock _gate = new();
    private readonly Queue<string> _output = new();
    private Process? _process;

    public AppProcess(int port, IReadOnlyDictionary<string, string> environment)
    {
        _dll = FindAppDll();
        _environment = environment;
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri BaseUri { get; }
    public int Starts { get; private set; }
    public int Kills { get; private set; }
    /// <summary>How often the app logged that a portal refused its refresh token (a kill inside a token refresh).</summary>
    public int RefusedRefreshes => Volatile.Read(ref _refusedRefreshes);
    private int _refusedRefreshes;

    /// <summary>The last lines the app wrote (stdout and stderr), for a failure message.</summary>
    public string RecentOutput
    {
        get { lock (_gate) return string.Join('\n', _output); }
    }

    public void Start()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(_dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(BaseUri.AbsoluteUri.TrimEnd('/'));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in _environment) start.Environment[key] = value;

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Starts++;
    }

    /// <summary>Kills the whole process tree at once: no shutdown hooks, no flushing, like a power cut of the process.</summary>
    public void Kill()
    {
        if (_process is not { } process) return;
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        process.WaitForExit(TimeSpan.FromSeconds(30));
        process.Dispose();
        _process = null;
        Kills++;
    }

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>Waits until the app answers HTTP (it opens its port only once started).</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (HasExited) throw new InvalidOperationException($"The app exited while starting.\n{RecentOutput}");
            try
            {
                using var response = await http.GetAsync(BaseUri, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The app did not answer within {timeout}.\n{RecentOutput}");
            await Task.Delay(100, cancellationToken);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    private void Remember(string? line)
    {
        if (line is null) return;
        if (line.Contains("refused the refresh token", StringComparison.Ordinal)) Interlocked.Increment(ref _refusedRefreshes);
        lock (_gate)
        {
            _output.Enqueue(line);
            while (_output.Count > 200) _output.Dequeue();
        }
    }

    /// <summary>
    /// The app's own build output (it has its runtimeconfig and deps, which the copy in the test folder lacks), in the
    /// configuration the tests were built in: <c>src/App/bin/{Configuration}/net10.0/LineBridge.dll</c>.
    /// </summary>
    private static string FindAppDll()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        for (var dir = testOutput; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "App", "bin", configuration, framework, "LineBridge.dll");
            if (File.Exists(candidate)) return candidate;
        }
        var local = Path.Combine(testOutput.FullName, "LineBridge.dll");
        if (File.Exists(local) && File.Exists(Path.Combine(testOutput.FullName, "LineBridge.runtimeconfig.json"))) return local;
        throw new FileNotFoundException($"LineBridge.dll ({configuration}/{framework}) not found above {testOutput.FullName}; build src/App first.");
    }
}
