using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Localization;
using MudBlazor;

namespace LineBridge.Components.Messages;

public sealed class MessageHistoryDialogTests : ComponentTestBase
{
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);

    private SentMessage SeedTwoVersions()
    {
        var message = Log.Add("m1", "Hello, world", version: 2, editedBy: "Oleg Operator");
        Log.History["m1"] =
        [
            new(1, null, "Helo, world", "external system", "API", Start, MessageStatus.Sent, "SUCCESS"),
            new(2, "Helo, world", "Hello, world", "Oleg Operator", "LineBridge UI", Start.AddMinutes(5), MessageStatus.Failed,
                "NOT_ACTIVE_LINE: the line is inactive"),
        ];
        return message;
    }

    private Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> OpenAsync(SentMessage message) =>
        OpenDialogAsync(new DialogParameters<MessageHistoryDialog>
        {
            { x => x.Session, TestSessions.Operator() },
            { x => x.Loc, Localizer.English },
            { x => x.Message, message },
        });

    [Fact]
    public async Task Render_ListsEveryVersion_WithWhoWhenWhereAndThePortalsAnswer()
    {
        var (provider, _) = await OpenAsync(SeedTwoVersions());

        provider.WaitForAssertion(() => Assert.Equal(2, provider.FindAll("[data-testid=history-entry]").Count), Patience);
        var newest = provider.FindAll("[data-testid=history-entry]")[0];
        Assert.Equal("2", newest.GetAttribute("data-version"));
        Assert.Contains("Oleg Operator", newest.TextContent);
        Assert.Contains("LineBridge UI", newest.TextContent);
        Assert.Contains(newest.QuerySelectorAll("[title]"), e => e.GetAttribute("title")!.EndsWith(" UTC", StringComparison.Ordinal));
        Assert.Contains("NOT_ACTIVE_LINE", newest.QuerySelector("[data-testid=history-answer]")!.TextContent);
        Assert.Equal("Failed", newest.QuerySelector("[data-testid=history-status]")!.GetAttribute("data-status"));
        Assert.Contains("Helo, world", newest.QuerySelector("[data-testid=history-old-text]")!.TextContent);
        Assert.Contains("Hello, world", newest.QuerySelector("[data-testid=history-new-text]")!.TextContent);
    }

    [Fact]
    public async Task Render_OffersRevert_OnlyForOlderVersions()
    {
        var (provider, _) = await OpenAsync(SeedTwoVersions());

        provider.WaitForAssertion(() => Assert.Single(provider.FindAll("[data-testid=revert-button]")), Patience);
        var oldest = provider.FindAll("[data-testid=history-entry]")[1];
        Assert.NotNull(oldest.QuerySelector("[data-testid=revert-button]"));
    }

    [Fact]
    public async Task Revert_AsksForTheOldVersionFromTheLatest_AndClosesWithTheResult()
    {
        var (provider, dialog) = await OpenAsync(SeedTwoVersions());
        provider.WaitForAssertion(() => provider.Find("[data-testid=revert-button]"), Patience);

        provider.Find("[data-testid=revert-button]").Click();

        var result = await dialog.Result.WaitAsync(Patience, Xunit.TestContext.Current.CancellationToken);
        var reverted = Assert.IsType<RevertOutcome>(result!.Data);
        Assert.Equal("Helo, world", reverted.Message.Text);
        Assert.Equal((1, 2), (reverted.ToVersion, reverted.ReplacedVersion));
        Assert.Equal(("m1", 1, 2), Editor.Reverts.Single());
    }

    [Fact]
    public async Task Revert_ShowsTheConflict_WhenSomeoneEditedMeanwhile()
    {
        var message = SeedTwoVersions();
        Editor.Script = (_, _, _) => new EditOutcome.Conflict(message with { Text = "Newer text", Version = 3, LastEditedBy = "Olga" });
        var (provider, dialog) = await OpenAsync(message);
        provider.WaitForAssertion(() => provider.Find("[data-testid=revert-button]"), Patience);

        provider.Find("[data-testid=revert-button]").Click();

        provider.WaitForAssertion(() => Assert.Contains("Olga", provider.Find("[data-testid=revert-conflict]").TextContent), Patience);
        Assert.Equal("Newer text", provider.Find("[data-testid=revert-conflict] [data-testid=conflict-text]").TextContent);
        Assert.False(dialog.Result.IsCompleted);
    }

    [Fact]
    public async Task Render_SaysSo_WhenNoHistoryWasRecorded()
    {
        var (provider, _) = await OpenAsync(Log.Add("m1", "Hello"));

        provider.WaitForAssertion(() => Assert.NotNull(provider.Find("[data-testid=history-empty]")), Patience);
    }

    [Fact]
    public async Task Render_SpeaksRussian_ForSourcesAndPortalAnswers()
    {
        var message = Log.Add("m1", "Hello", version: 2);
        Log.History["m1"] =
        [
            new MessageVersion(1, null, "Helo", "API", "API", DateTimeOffset.UtcNow, MessageStatus.Sent, "SUCCESS (user 1112, session 5)"),
            new MessageVersion(2, "Helo", "Hello", "Oleg", "portal user #7", DateTimeOffset.UtcNow, MessageStatus.Sent, "SUCCESS"),
        ];
        var (provider, _) = await OpenDialogAsync(new DialogParameters<MessageHistoryDialog>
        {
            { x => x.Session, TestSessions.Operator("ru") },
            { x => x.Loc, Localizer.For("ru") },
            { x => x.Message, message },
        });

        provider.WaitForAssertion(() => Assert.Equal(2, provider.FindAll("[data-testid=history-entry]").Count), Patience);
        var text = provider.Find("[data-testid=history-dialog]").TextContent;
        Assert.Contains("пользователь портала №7", text);
        Assert.Contains("Принято порталом (пользователь 1112, сессия 5)", text);
        Assert.DoesNotContain("portal user", text);
        Assert.DoesNotContain("SUCCESS", text);
    }
}
