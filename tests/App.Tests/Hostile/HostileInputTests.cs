using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using LineBridge.Components.Messages;
using LineBridge.Components.Portal;
using LineBridge.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Hostile;

/// <summary>
/// Every endpoint against malformed and hostile requests (<see cref="HostileCases"/>): each gets a 4xx that says what
/// is wrong, never a 5xx, and changes nothing in the app's store or the portals.
/// </summary>
public sealed class HostileInputTests(HostileInputTests.Fixture fixture) : IClassFixture<HostileInputTests.Fixture>
{
    public sealed class Fixture : TwoPortals
    {
        /// <summary>Every answer body, by case, for the secrets checks.</summary>
        public ConcurrentDictionary<string, string> Bodies { get; } = new();
    }

    public static TheoryData<string> Cases => new(HostileCases.All.Keys);

    [Fact]
    public void TheTable_HasAtLeastAHundredCases() => Assert.True(HostileCases.All.Count >= 100, $"only {HostileCases.All.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostileRequest_IsRefusedWithA4xx_AndChangesNothing(string name)
    {
        var hostile = HostileCases.All[name];
        var before = await fixture.SnapshotAsync();

        using var response = await hostile.Send(fixture);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        fixture.Bodies[name] = body;
        var status = (int)response.StatusCode;
        var contentType = response.Content.Headers.ContentType?.MediaType;

        Assert.True(status < 500, $"{name}: {status} {body}");
        if (hostile.Surface == Surface.Page)
        {
            Assert.True(status is (>= 200 and < 300) or 414, $"{name}: {status}");
            Assert.Null(fixture.App.Services.GetRequiredService<IPortalSessions>().Open(hostile.Ticket!(fixture)));
            Assert.DoesNotContain("<script>alert(1)", body, StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            Assert.True(status is >= 400 and < 500, $"{name}: {status} {body}");
            if (hostile.Status is { } expected) Assert.True(expected == status, $"{name}: expected {expected}, got {status} {body}");
        }
        if (hostile.Surface is Surface.Api or Surface.Portal && status != 413)
        {
            Assert.True(contentType == "application/problem+json", $"{name}: {contentType} {body}");
            Assert.Contains("\"detail\"", body.Replace("\"errors\"", "\"detail\""), StringComparison.Ordinal);
        }
        if (hostile.Field is { } field)
        {
            Assert.True(body.Contains($"\"{field}\"", StringComparison.OrdinalIgnoreCase), $"{name}: the answer does not name {field}: {body}");
        }
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task MessageTextWithMarkup_IsKeptVerbatim_AndRendersAsText()
    {
        const string text = "<script>alert(1)</script> <img src=x onerror=alert(2)> [url=javascript:alert(3)]click[/url] [b]bold[/b]";
        var name = "<svg onload=alert(4)>";
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/lines/1/messages")
        {
            Content = JsonContent.Create(new
            {
                messages = new[] { new { user = new { id = "markup-user", name }, chat = new { id = "markup-chat", name }, message = new { id = "markup-1", text } } },
            }),
        };
        request.Headers.Authorization = new("Bearer", fixture.A.ApiKey);
        using var response = await fixture.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // Let the dispatcher finish, so the shared app is quiet again for the other cases.
        await SandboxedApp.WaitUntilAsync(() => fixture.Store.FindByExternal(fixture.A.MemberId, TwoPortals.Line, "markup-chat", "markup-1")?.Status == MessageStatus.Sent, "the markup message is delivered");

        var log = fixture.App.Services.GetRequiredService<IMessageLog>();
        var session = TwoPortals.AdminSession(fixture.A.MemberId, fixture.A.Portal.Domain);
        var stored = (await log.QueryAsync(session, new MessageQuery(TwoPortals.Line, ChatId: "markup-chat"), TestContext.Current.CancellationToken)).Items.Single();
        Assert.Equal(text, stored.Text);
        Assert.Equal(name, stored.ChatName);

        // The list and the dialogs render message text through BbCode: markup arrives as text, only BB tags become HTML.
        var html = BbCode.ToHtml(stored.Text);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<strong>bold</strong>", html, StringComparison.Ordinal);
    }
}
