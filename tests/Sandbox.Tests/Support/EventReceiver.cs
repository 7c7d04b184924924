using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LineBridge.Sandbox;

/// <summary>A tiny loopback HTTP server on 127.0.0.1 that records form POSTs (the app's event handler stand-in).</summary>
internal sealed class EventReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public EventReceiver(int status = 200)
    {
        _listener.Start();
        Status = status;
        _loop = Task.Run(LoopAsync);
    }

    public int Status { get; set; }
    public ConcurrentQueue<Dictionary<string, string>> Received { get; } = new();
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/events";

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int headerEnd = -1, length = 0;
            while (true)
            {
                var read = await stream.ReadAsync(chunk);
                if (read == 0) return;
                buffer.Write(chunk, 0, read);
                var text = Encoding.ASCII.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
                if (headerEnd < 0 && (headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    var header = text[..headerEnd];
                    var line = header.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                    length = line is null ? 0 : int.Parse(line["Content-Length:".Length..].Trim());
                }
                if (headerEnd >= 0 && buffer.Length >= headerEnd + 4 + length)
                {
                    var body = Encoding.UTF8.GetString(buffer.GetBuffer(), headerEnd + 4, length);
                    var fields = new Dictionary<string, string>();
                    foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var eq = pair.IndexOf('=');
                        fields[WebUtility.UrlDecode(pair[..eq])] = WebUtility.UrlDecode(pair[(eq + 1)..]);
                    }
                    Received.Enqueue(fields);
                    var reply = Encoding.ASCII.GetBytes($"HTTP/1.1 {Status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(reply);
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _loop; } catch (Exception) { }
        _stop.Dispose();
    }
}
