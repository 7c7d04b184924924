using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Storage.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace LineBridge.Storage;

/// <summary>The whole app with <c>Storage:Provider</c> = <c>PostgreSql</c> against the sandbox portal.</summary>
public sealed class AppOnPostgreSqlTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Install_KeepsThePortalAndTheKeyRingInPostgreSql_AndARestartReadsTheTokens()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync(Ct);
        var settings = database.AppSettings();
        await using var app = await SandboxedApp.StartAsync(settings: settings, cancellationToken: Ct);

        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            var domain = await connection.QuerySingleAsync<string>("SELECT domain FROM portals WHERE member_id = @m", new { m = app.Portal.MemberId });
            Assert.Equal(app.Portal.Domain, domain);
            Assert.True(await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM data_protection_keys") >= 1);
            var stored = await connection.QuerySingleAsync<string>("SELECT access_token FROM portals WHERE member_id = @m", new { m = app.Portal.MemberId });
            Assert.NotEqual(app.Store.Find(app.Portal.MemberId)!.AccessToken, stored);
        }
        Assert.False(Directory.Exists(Path.Combine(app.DataDirectory, "keys")), "On PostgreSQL the key ring is not kept in files.");

        await app.RestartAsync(settings);

        var portal = app.Store.Find(app.Portal.MemberId)!;
        Assert.Equal(PortalStatus.Installed, portal.Status);
        Assert.False(string.IsNullOrEmpty(portal.AccessToken));
        // The restarted app decrypts the stored token with the key ring from the database and the portal accepts it.
        var info = await app.Clients.ForPortal(app.Portal.MemberId).App.InfoAsync(Ct);
        Assert.Equal(app.Sandbox.App.ClientId, info.Code);
    }

    [Fact]
    public async Task Messages_LiveInPostgreSql_SentThroughOneInstance_EditedThroughAnother_AndEachReachesThePortalOnce()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync(Ct);
        var settings = database.AppSettings(
            ("Messages:RetryDelay", "00:00:00.200"),
            ("Messages:MaxRetryDelay", "00:00:02"));
        await using var app = await SandboxedApp.StartAsync(settings: settings, cancellationToken: Ct);
        await using var peer = await app.StartPeerAsync(settings);
        Assert.IsType<PostgreSqlMessageStore>(app.Services.GetRequiredService<MessageStore>().Log);
        var line = app.Portal.OpenLines[0].Id;
        await app.Clients.ForPortal(app.Portal.MemberId).Connectors.ActivateAsync("linebridge", line, true, Ct);
        app.Services.GetRequiredService<LineConnections>().MarkConnected(app.Portal.MemberId, line);
        var key = await app.Services.GetRequiredService<ApiKeys>().RotateAsync(app.Portal.MemberId, Ct);
        using var first = Client(app.BaseUri, key);
        using var second = Client(peer.BaseUri, key);
        var ids = Enumerable.Range(1, 20).Select(i => $"pg-{i:D2}").ToList();

        var sent = await first.PostAsJsonAsync($"api/v1/lines/{line}/messages", new
        {
            messages = ids.Select(id => new
            {
                user = new { id = "user-1", name = "Ann" },
                chat = new { id = "chat-1" },
                message = new { id, text = "Заказ " + id },
            }),
        }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        // Edits through the other instance, while both instances' dispatchers share the outbox.
        foreach (var id in ids.Take(5))
        {
            var edit = await second.PatchAsJsonAsync($"api/v1/lines/{line}/chats/chat-1/messages/{id}", new { text = "Изменён " + id }, Ct);
            Assert.Equal(HttpStatusCode.Accepted, edit.StatusCode);
        }

        IEnumerable<string> Copies(string id) => app.Portal.Dialogs.Where(d => d.Line == line).SelectMany(d => d.Messages)
            .Where(m => m.ConnectorMid.Contains(id)).Select(m => m.Text);
        await SandboxedApp.WaitUntilAsync(() => ids.All(id => Copies(id).Any())
            && ids.Take(5).All(id => Copies(id).SequenceEqual(["Изменён " + id])), "every message reaches the portal, the edits too");
        var read = await second.GetFromJsonAsync<JsonObject>($"api/v1/lines/{line}/chats/chat-1/messages/{ids[0]}", Ct);
        await SandboxedApp.WaitUntilAsync(() => app.Services.GetRequiredService<MessageStore>().CountPending(app.Portal.MemberId, line) == 0,
            "the outbox drains");

        Assert.All(ids, id => Assert.Single(Copies(id)));
        Assert.Equal("Изменён " + ids[0], (string?)read!["text"]);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        Assert.Equal(20, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM messages WHERE member_id = @m", new { m = app.Portal.MemberId }));
        Assert.Equal(25, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM message_versions"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM message_outbox"));
        Assert.Equal(20, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM messages WHERE status = 'Sent'"));
    }

    private static HttpClient Client(Uri baseUri, string key)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }
}
