using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.Localization;
using LineBridge.Components.Portal;
using MudBlazor;

namespace LineBridge.Components.Messages;

public sealed class EditMessageDialogTests : ComponentTestBase
{
    private async Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> OpenAsync(
        SentMessage message, PortalSession? session = null)
    {
        session ??= TestSessions.Operator();
        return await OpenDialogAsync(new DialogParameters<EditMessageDialog>
        {
            { x => x.Session, session },
            { x => x.Loc, Localizer.For(session.Language) },
            { x => x.Message, message },
        });
    }

    private static bool SaveDisabled(IRenderedComponent<MudDialogProvider> provider) =>
        provider.Find("[data-testid=edit-save]").HasAttribute("disabled");

    [Fact]
    public async Task Render_StartsWithTheCurrentText_AndCannotSaveUnchanged()
    {
        var (provider, _) = await OpenAsync(Log.Add("m1", "Hello there"));

        Assert.Equal("Hello there", provider.Find("[data-testid=edit-text]").GetAttribute("value") ?? provider.Find("[data-testid=edit-text]").TextContent);
        Assert.True(SaveDisabled(provider));
    }

    [Fact]
    public async Task EmptyText_ShowsAnError_AndDisablesSave()
    {
        var (provider, _) = await OpenAsync(Log.Add("m1", "Hello"));

        provider.Find("[data-testid=edit-text]").Input("   ");

        provider.WaitForAssertion(() => Assert.Contains("cannot be empty", provider.Markup), Patience);
        Assert.True(SaveDisabled(provider));
    }

    [Fact]
    public async Task TooLongText_ShowsTheLimit_AndDisablesSave()
    {
        Editor.MaxTextLength = 10;
        var (provider, _) = await OpenAsync(Log.Add("m1", "Hello"));

        provider.Find("[data-testid=edit-text]").Input("This is far too long");

        provider.WaitForAssertion(() => Assert.Contains("at most 10", provider.Markup), Patience);
        Assert.True(SaveDisabled(provider));
        Assert.Empty(Editor.Edits);
    }

    // Issue 10, item 9: the portal counts code points (PHP mb_strlen), so an emoji is one character, not two.
    [Fact]
    public async Task TextAtTheLimitInCodePoints_IsAccepted_ThoughAnEmojiIsTwoUtf16Units()
    {
        Editor.MaxTextLength = 10;
        var (provider, _) = await OpenAsync(Log.Add("m1", "Hello"));

        provider.Find("[data-testid=edit-text]").Input(new string('a', 9) + "\U0001F600");

        provider.WaitForAssertion(() => Assert.False(SaveDisabled(provider)), Patience);
        Assert.DoesNotContain("at most 10", provider.Markup);
    }

    [Fact]
    public async Task Preview_RendersKnownTags_AndEscapesHtml()
    {
        var (provider, _) = await OpenAsync(Log.Add("m1", "Hello"));

        provider.Find("[data-testid=edit-text]").Input("[b]Bold[/b] <img src=x onerror=alert(1)>");

        provider.WaitForAssertion(() =>
        {
            var preview = provider.Find("[data-testid=edit-preview]");
            Assert.Equal("Bold", preview.QuerySelector("strong")!.TextContent);
            Assert.Null(preview.QuerySelector("img"));
            Assert.Contains("<img src=x onerror=alert(1)>", preview.TextContent);
        }, Patience);
    }

    [Fact]
    public async Task Save_EditsFromTheVersionTheUserStartedFrom_AndClosesWithTheQueuedMessage()
    {
        var (provider, dialog) = await OpenAsync(Log.Add("m1", "Helo", version: 3));

        provider.Find("[data-testid=edit-text]").Input("Hello");
        provider.Find("[data-testid=edit-save]").Click();

        var result = await dialog.Result.WaitAsync(Patience, Xunit.TestContext.Current.CancellationToken);
        Assert.False(result!.Canceled);
        var saved = Assert.IsType<SentMessage>(result.Data);
        Assert.Equal(("Hello", 4, MessageStatus.Queued), (saved.Text, saved.Version, saved.Status));
        Assert.Equal(("m1", 3, "Hello"), Editor.Edits.Single());
    }

    [Fact]
    public async Task Conflict_SaysWhoEditedFirst_ShowsTheirText_AndTheNextSaveStartsFromTheirVersion()
    {
        var message = Log.Add("m1", "Helo");
        var theirs = message with { Text = "Hello from Olga", Version = 2, LastEditedBy = "Olga" };
        Editor.Script = (_, expected, _) => expected == 1 ? new EditOutcome.Conflict(theirs) : null;
        var (provider, dialog) = await OpenAsync(message);

        provider.Find("[data-testid=edit-text]").Input("Hello");
        provider.Find("[data-testid=edit-save]").Click();

        provider.WaitForAssertion(() => Assert.Contains("Olga edited this message first", provider.Find("[data-testid=edit-conflict]").TextContent), Patience);
        Assert.Equal("Hello from Olga", provider.Find("[data-testid=conflict-text]").TextContent);

        provider.Find("[data-testid=edit-save]").Click();
        await dialog.Result.WaitAsync(Patience, Xunit.TestContext.Current.CancellationToken);
        Assert.Equal([("m1", 1, "Hello"), ("m1", 2, "Hello")], Editor.Edits);
    }

    [Fact]
    public async Task Conflict_CanStartFromTheirText()
    {
        var message = Log.Add("m1", "Helo");
        var theirs = message with { Text = "Hello from Olga", Version = 2, LastEditedBy = "Olga" };
        Editor.Script = (_, expected, _) => expected == 1 ? new EditOutcome.Conflict(theirs) : null;
        var (provider, _) = await OpenAsync(message);
        provider.Find("[data-testid=edit-text]").Input("Hello");
        provider.Find("[data-testid=edit-save]").Click();
        provider.WaitForAssertion(() => provider.Find("[data-testid=conflict-take-theirs]"), Patience);

        provider.Find("[data-testid=conflict-take-theirs]").Click();

        provider.WaitForAssertion(() => Assert.Empty(provider.FindAll("[data-testid=edit-conflict]")), Patience);
        Assert.Contains("Hello from Olga", provider.Find("[data-testid=edit-preview]").TextContent);
    }

    [Fact]
    public async Task Rejected_ShowsTheReason_AndKeepsTheDialogOpen()
    {
        Editor.Script = (_, _, _) => new EditOutcome.Rejected("The portal does not allow links in this line.");
        var (provider, dialog) = await OpenAsync(Log.Add("m1", "Hello"));

        provider.Find("[data-testid=edit-text]").Input("See [url=https://example.test]this[/url]");
        provider.Find("[data-testid=edit-save]").Click();

        provider.WaitForAssertion(() => Assert.Contains("does not allow links", provider.Find("[data-testid=edit-error]").TextContent), Patience);
        Assert.False(dialog.Result.IsCompleted);
    }

    [Theory]
    [InlineData("en", "The text has 5000 characters; the portal takes at most 4000.")]
    [InlineData("ru", "В тексте 5000 символов; портал принимает не более 4000.")]
    public async Task RecordedRefusal_IsToldInThePortalsLanguage(string language, string expected)
    {
        Editor.Script = (_, _, _) => new EditOutcome.Rejected(new LocalText("Problem.TextTooLong", "5000", "4000").Encode());
        var (provider, _) = await OpenAsync(Log.Add("m1", "Hello"), TestSessions.Operator(language));

        provider.Find("[data-testid=edit-text]").Input("Hello!");
        provider.Find("[data-testid=edit-save]").Click();

        provider.WaitForAssertion(() => Assert.Contains(expected, provider.Find("[data-testid=edit-error]").TextContent), Patience);
        Assert.DoesNotContain("{\"code\"", provider.Find("[data-testid=edit-error]").TextContent);
    }

    [Fact]
    public async Task PermissionFailure_IsReportedInOurWords()
    {
        Editor.Failure = new UnauthorizedAccessException("denied");
        var (provider, _) = await OpenAsync(Log.Add("m1", "Hello"));

        provider.Find("[data-testid=edit-text]").Input("Hello!");
        provider.Find("[data-testid=edit-save]").Click();

        provider.WaitForAssertion(() => Assert.Contains("not allowed to change messages", provider.Find("[data-testid=edit-error]").TextContent), Patience);
    }

    [Fact]
    public async Task Cancel_ClosesWithoutEditing()
    {
        var (provider, dialog) = await OpenAsync(Log.Add("m1", "Hello"));

        provider.Find("[data-testid=edit-cancel]").Click();

        var result = await dialog.Result.WaitAsync(Patience, Xunit.TestContext.Current.CancellationToken);
        Assert.True(result!.Canceled);
        Assert.Empty(Editor.Edits);
    }

    [Fact]
    public async Task Render_SpeaksRussian_WhenPortalLanguageIsRu()
    {
        var (provider, _) = await OpenAsync(Log.Add("m1", "Привет"), TestSessions.Operator("ru"));

        provider.Find("[data-testid=edit-text]").Input("");

        provider.WaitForAssertion(() => Assert.Contains("Текст не может быть пустым", provider.Markup), Patience);
        Assert.Contains("Сохранить", provider.Find("[data-testid=edit-save]").TextContent);
    }
}
