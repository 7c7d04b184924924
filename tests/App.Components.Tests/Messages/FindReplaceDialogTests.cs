using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Localization;
using LineBridge.Components.Portal;
using MudBlazor;

namespace LineBridge.Components.Messages;

public sealed class FindReplaceDialogTests : ComponentTestBase
{
    private PortalSession _session = TestSessions.Admin();

    private Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> OpenAsync(string? chatId = null) =>
        OpenDialogAsync(new DialogParameters<FindReplaceDialog>
        {
            { x => x.Session, _session },
            { x => x.Loc, Localizer.For(_session.Language) },
            { x => x.LineId, 1 },
            { x => x.ChatId, chatId },
        });

    private static void Preview(IRenderedComponent<MudDialogProvider> provider, string find, string replace)
    {
        provider.Find("[data-testid=replace-find]").Input(find);
        provider.Find("[data-testid=replace-with]").Input(replace);
        provider.Find("[data-testid=replace-preview-button]").Click();
    }

    private static string ItemState(IRenderedComponent<MudDialogProvider> provider, string id) =>
        provider.Find($"[data-testid=replace-preview][data-message-id={id}] [data-testid=replace-item-status]").GetAttribute("data-state")!;

    [Fact]
    public async Task Preview_ShowsEachAffectedMessage_OldAndNew()
    {
        Log.Add("m1", "Our adress is Main St");
        Log.Add("m2", "Wrong adress again");
        Log.Add("m3", "Nothing to fix");
        var (provider, _) = await OpenAsync();

        Preview(provider, "adress", "address");

        provider.WaitForAssertion(() => Assert.Equal(2, provider.FindAll("[data-testid=replace-preview]").Count), Patience);
        var first = provider.Find("[data-testid=replace-preview][data-message-id=m1]");
        Assert.Contains("Our adress is Main St", first.QuerySelector("[data-testid=replace-old]")!.TextContent);
        Assert.Contains("Our address is Main St", first.QuerySelector("[data-testid=replace-new]")!.TextContent);
        Assert.Contains("2 messages", provider.Find("[data-testid=replace-count]").TextContent);
        Assert.Empty(Editor.Edits);
    }

    [Fact]
    public async Task Operator_MustNameAChat_BeforeAPreview()
    {
        _session = TestSessions.Operator();
        Log.Add("m1", "typo here", chatId: "c-1");
        var (provider, _) = await OpenAsync();

        provider.Find("[data-testid=replace-find]").Input("typo");
        provider.WaitForAssertion(() => Assert.True(provider.Find("[data-testid=replace-preview-button]").HasAttribute("disabled")), Patience);
        Assert.Contains("one chat", provider.Find("[data-testid=replace-dialog]").TextContent);

        provider.Find("[data-testid=replace-chat]").Input("c-1");
        provider.WaitForAssertion(() => Assert.False(provider.Find("[data-testid=replace-preview-button]").HasAttribute("disabled")), Patience);
        provider.Find("[data-testid=replace-preview-button]").Click();
        provider.WaitForAssertion(() => Assert.Single(provider.FindAll("[data-testid=replace-preview]")), Patience);
        Assert.Equal("c-1", Editor.Previews.Single().ChatId);
    }

    [Fact]
    public async Task Preview_IsScopedToTheChat_WhenOneIsGiven()
    {
        Log.Add("m1", "typo here", chatId: "c-1");
        Log.Add("m2", "typo there", chatId: "c-2");
        var (provider, _) = await OpenAsync(chatId: "c-2");

        Preview(provider, "typo", "fix");

        provider.WaitForAssertion(() => Assert.Single(provider.FindAll("[data-testid=replace-preview]")), Patience);
        Assert.Equal((1, "c-2", "typo", "fix"), Editor.Previews.Single());
    }

    [Fact]
    public async Task Apply_EditsEachMessage_AndTheProgressFollowsThemUntilSentOrFailed()
    {
        Log.Add("m1", "colour one", version: 1);
        Log.Add("m2", "colour two", version: 4);
        var (provider, dialog) = await OpenAsync();
        Preview(provider, "colour", "color");
        provider.WaitForAssertion(() => Assert.Equal(2, provider.FindAll("[data-testid=replace-preview]").Count), Patience);

        provider.Find("[data-testid=replace-apply]").Click();

        provider.WaitForAssertion(() => Assert.Equal("0", provider.Find("[data-testid=replace-progress]").GetAttribute("data-settled")), Patience);
        Assert.Equal([("m1", 1, "color one"), ("m2", 4, "color two")], Editor.Edits);
        Assert.Equal("Queued", ItemState(provider, "m1"));

        var m1 = Log.Messages.Single(m => m.Id == "m1");
        await provider.InvokeAsync(() => Updates.PublishAsync(_session.MemberId, m1 with { Status = MessageStatus.Sent }));
        provider.WaitForAssertion(() => Assert.Equal("1", provider.Find("[data-testid=replace-progress]").GetAttribute("data-settled")), Patience);
        Assert.Equal("Sent", ItemState(provider, "m1"));

        var m2 = Log.Messages.Single(m => m.Id == "m2");
        await provider.InvokeAsync(() => Updates.PublishAsync(_session.MemberId,
            m2 with { Status = MessageStatus.Failed, FailureReason = "NOT_ACTIVE_LINE" }));
        provider.WaitForAssertion(() => Assert.Equal("2", provider.Find("[data-testid=replace-progress]").GetAttribute("data-settled")), Patience);
        Assert.Equal("Failed", ItemState(provider, "m2"));
        Assert.Contains("NOT_ACTIVE_LINE", provider.Find("[data-testid=replace-preview][data-message-id=m2] [data-testid=replace-item-reason]").TextContent);
        Assert.Contains("Sent 1, failed 1", provider.Find("[data-testid=replace-summary]").TextContent);
        Assert.Equal(0, Updates.SubscriberCount);
        Assert.False(dialog.Result.IsCompleted);
    }

    [Fact]
    public async Task Apply_SkipsAMessageSomeoneElseEdited_AndSaysWho()
    {
        var m1 = Log.Add("m1", "teh first");
        Log.Add("m2", "teh second");
        Editor.Script = (id, _, _) => id == "m1" ? new EditOutcome.Conflict(m1 with { Version = 2, LastEditedBy = "Olga" }) : null;
        var (provider, _) = await OpenAsync();
        Preview(provider, "teh", "the");
        provider.WaitForAssertion(() => Assert.Equal(2, provider.FindAll("[data-testid=replace-preview]").Count), Patience);

        provider.Find("[data-testid=replace-apply]").Click();

        provider.WaitForAssertion(() => Assert.Equal("Skipped", ItemState(provider, "m1")), Patience);
        Assert.Contains("Olga", provider.Find("[data-testid=replace-preview][data-message-id=m1] [data-testid=replace-item-reason]").TextContent);
        Assert.Equal("Queued", ItemState(provider, "m2"));
    }

    [Fact]
    public async Task Stop_LeavesTheEditsNotYetSubmittedUnchanged()
    {
        Log.Add("m1", "x one", minutesAgo: 3);
        Log.Add("m2", "x two", minutesAgo: 2);
        Log.Add("m3", "x three", minutesAgo: 1);
        var firstEdit = new TaskCompletionSource();
        Editor.EditGate = id => id == "m1" ? firstEdit.Task : Task.CompletedTask;
        var (provider, _) = await OpenAsync();
        Preview(provider, "x", "y");
        provider.WaitForAssertion(() => Assert.Equal(3, provider.FindAll("[data-testid=replace-preview]").Count), Patience);

        provider.Find("[data-testid=replace-apply]").Click();
        provider.WaitForAssertion(() => Assert.NotNull(provider.Find("[data-testid=replace-cancel]")), Patience);
        provider.Find("[data-testid=replace-cancel]").Click();
        firstEdit.SetResult();

        provider.WaitForAssertion(() => Assert.Equal("Cancelled", ItemState(provider, "m3")), Patience);
        Assert.Equal("Cancelled", ItemState(provider, "m2"));
        Assert.Single(Editor.Edits);
        Assert.Contains("Stopped", provider.Find("[data-testid=replace-summary]").TextContent);
    }

    [Fact]
    public async Task Preview_SaysSo_WhenNothingMatches()
    {
        Log.Add("m1", "all good");
        var (provider, _) = await OpenAsync();

        Preview(provider, "missing", "x");

        provider.WaitForAssertion(() => Assert.Contains("No message contains", provider.Find("[data-testid=replace-count]").TextContent), Patience);
        Assert.True(provider.Find("[data-testid=replace-apply]").HasAttribute("disabled"));
    }
}
