using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace LineBridge.Lifecycle;

/// <summary>What the portal would refuse late is refused up front, with a problem naming the field.</summary>
public sealed class RefuseEarlyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EditToEmptyText_OfAMessageSentWithFiles_IsA400NamingTheText()
    {
        await using var api = await LifecycleApi.StartAsync();
        var body = """
            {"messages":[{"user":{"id":"u1","name":"Ann"},"chat":{"id":"c1"},
              "message":{"id":"m1","text":"see the photo","files":[{"url":"http://127.0.0.1:9/photo.jpg","name":"photo.jpg"}]}}]}
            """;
        var sent = await api.Http.PostAsync($"api/v1/lines/{api.Line}/messages", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);

        var edit = await api.EditAsync("c1", "m1", "");

        Assert.Equal(HttpStatusCode.BadRequest, edit.StatusCode);
        var problem = (await edit.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Contains("files", (string?)problem["errors"]!["text"]![0]);
        Assert.Equal(1, (int?)(await api.GetAsync("c1", "m1"))["version"]);
    }
}
