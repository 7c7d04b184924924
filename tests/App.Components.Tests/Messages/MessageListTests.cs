using AngleSharp.Dom;
using Bunit;
using LineBridge.Components.Fakes;
using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;

namespace LineBridge.Components.Messages;

public sealed class MessageListTests : ComponentTestBase
{
    private static readonly OpenLineSummary ConnectedLine = new(1, "Support", true, ConnectorState.Connected);

    private IRenderedComponent<MessageList> RenderList(PortalSession session, OpenLineSummary? line = null,
        Action<ComponentParameterCollectionBuilder<MessageList>>? parameters = null) =>
        RenderInPortal<MessageList>(session, p =>
        {
            p.Add(x => x.Line, line ?? ConnectedLine);
            parameters?.Invoke(p);
        });

    /// <summary>
    /// Clicks a row's Edit or History button as the browser does: the buttons are markup, and the click reaches the
    /// table's one @onrowaction handler with the button's data-action and its row's message id.
    /// </summary>
    private static void ClickRowAction(IRenderedComponent<MessageList> cut, string testId)
    {
        var button = cut.Find($"[data-testid={testId}]");
        var row = button.Closest("tr")!.QuerySelector("[data-message-id]")!;
        cut.Find("[data-testid=message-table]").TriggerEvent("onrowaction", new RowActionEventArgs
        {
            Action = button.GetAttribute("data-action"),
            MessageId = row.GetAttribute("data-message-id"),
        });
    }

    private static IElement Row(IRenderedComponent<MessageList> cut, string id) =>
        cut.Find($"[data-testid=message-row][data-message-id={id}]").ParentElement!;

    [Fact]
    public void Render_ShowsRowsNewestFirst_WithTimeChatUserTextAndStatus()
    {
        Log.Add("old", "First question", minutesAgo: 10);
        Log.Add("new", "Second question", minutesAgo: 1, status: MessageStatus.Queued);

        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=message-row]").Count), Patience);
        var texts = cut.FindAll("[data-testid=message-text]").Select(e => e.TextContent).ToList();
        Assert.Equal(["Second question", "First question"], texts);
        var row = Row(cut, "new");
        Assert.Contains("Chat chat-1", row.TextContent);
        Assert.Contains("Carla Customer", row.TextContent);
        Assert.Contains("UTC", row.QuerySelector("[data-testid=message-time]")!.GetAttribute("title"));
        Assert.Equal("Queued", row.QuerySelector("[data-testid=status-chip]")!.GetAttribute("data-status"));
    }

    [Fact]
    public void Render_MarksOperatorReplies_AndOffersNoEditForThem()
    {
        Log.Add("in", "Where is my order?", minutesAgo: 2);
        var reply = Log.Add("out", "It ships today.", minutesAgo: 1);
        Log.Messages[Log.Messages.IndexOf(reply)] = reply with { Direction = MessageDirection.Outgoing, ExternalUserName = "Operator #27" };

        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=message-row]").Count), Patience);
        Assert.NotNull(Row(cut, "out").QuerySelector("[data-testid=direction-outgoing]"));
        Assert.Null(Row(cut, "out").QuerySelector("[data-testid=edit-button]"));
        Assert.Null(Row(cut, "in").QuerySelector("[data-testid=direction-outgoing]"));
        Assert.NotNull(Row(cut, "in").QuerySelector("[data-testid=edit-button]"));
    }

    [Fact]
    public void Render_ShowsEmptyState_WhenLineHasNoMessages()
    {
        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Contains("No messages", cut.Find("[data-testid=messages-empty]").TextContent), Patience);
    }

    [Fact]
    public void Render_ShowsTheReason_WhenMessagesCannotBeLoaded()
    {
        Log.QueryFailure = new OperationFailedException("The message store is not available.");

        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Contains("not available", cut.Find("[data-testid=messages-error]").TextContent), Patience);
    }

    [Fact]
    public void Render_ShowsThePortalsReason_ForAFailedMessage()
    {
        Log.Add("m1", "Hi", status: MessageStatus.Failed, failureReason: "The line with this ID is inactive (NOT_ACTIVE_LINE)");

        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Contains("NOT_ACTIVE_LINE", Row(cut, "m1").QuerySelector("[data-testid=failure-reason]")!.TextContent), Patience);
    }

    [Fact]
    public void Render_MarksEditedMessages_WithWhoEdited()
    {
        Log.Add("m1", "Fixed text", version: 2, editedBy: "Oleg Operator");
        Log.Add("m2", "Untouched");

        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Contains("Oleg Operator", Row(cut, "m1").QuerySelector("[data-testid=edited-mark]")!.TextContent), Patience);
        Assert.Null(Row(cut, "m2").QuerySelector("[data-testid=edited-mark]"));
    }

    [Fact]
    public void Render_SaysWhatToDo_WhenTheLineIsDisconnected()
    {
        var disconnected = ConnectedLine with { Connector = ConnectorState.NotConnected };

        var operatorView = RenderList(TestSessions.Operator(), disconnected);
        Assert.Contains("Ask a portal administrator", operatorView.Find("[data-testid=line-disconnected]").TextContent);

        var adminView = RenderList(TestSessions.Admin(), disconnected);
        Assert.Contains("Connect the line in Settings", adminView.Find("[data-testid=line-disconnected]").TextContent);
    }

    [Fact]
    public void Render_ShowsThePortalsError_WhenTheConnectorHasOne()
    {
        var broken = ConnectedLine with { Connector = ConnectorState.Error, ConnectorError = "Token of the channel expired" };

        var cut = RenderList(TestSessions.Admin(), broken);

        Assert.Contains("Token of the channel expired", cut.Find("[data-testid=line-error]").TextContent);
    }

    [Fact]
    public void LiveUpdate_ChangesTheRowsStatusInPlace_WithoutReloading()
    {
        var session = TestSessions.Operator();
        var message = Log.Add("m1", "Edited text", status: MessageStatus.Queued, version: 2);
        var cut = RenderList(session);
        cut.WaitForAssertion(() => Assert.Equal("Queued", Row(cut, "m1").QuerySelector("[data-testid=status-chip]")!.GetAttribute("data-status")), Patience);
        var queriesBefore = Log.Queries.Count;

        cut.InvokeAsync(() => Updates.PublishAsync(session.MemberId, message with { Status = MessageStatus.Sent, UpdatedAt = message.UpdatedAt.AddSeconds(2) }));

        cut.WaitForAssertion(() => Assert.Equal("Sent", Row(cut, "m1").QuerySelector("[data-testid=status-chip]")!.GetAttribute("data-status")), Patience);
        Assert.Equal(queriesBefore, Log.Queries.Count);
    }

    [Fact]
    public void LiveUpdate_IgnoresAnOlderStateThatArrivesLate()
    {
        var session = TestSessions.Operator();
        var message = Log.Add("m1", "Text", status: MessageStatus.Sent, version: 3);
        var cut = RenderList(session);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-row]")), Patience);

        cut.InvokeAsync(() => Updates.PublishAsync(session.MemberId, message with { Version = 2, Status = MessageStatus.Failed }));

        cut.WaitForAssertion(() => Assert.Equal("Sent", Row(cut, "m1").QuerySelector("[data-testid=status-chip]")!.GetAttribute("data-status")), Patience);
    }

    [Fact]
    public void LiveUpdate_ShowsANewMessageOfTheLine_OnTheFirstPage()
    {
        var session = TestSessions.Operator();
        Log.Add("m1", "Earlier", minutesAgo: 5);
        var cut = RenderList(session);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-row]")), Patience);

        var arrived = Log.Add("m2", "Just arrived", status: MessageStatus.Queued);
        cut.InvokeAsync(() => Updates.PublishAsync(session.MemberId, arrived));

        cut.WaitForAssertion(() => Assert.Equal("Just arrived", cut.FindAll("[data-testid=message-text]")[0].TextContent), Patience);
    }

    [Fact]
    public async Task Dispose_EndsTheLiveSubscription()
    {
        RenderList(TestSessions.Operator());
        Assert.Equal(1, Updates.SubscriberCount);

        await DisposeComponentsAsync();

        Assert.Equal(0, Updates.SubscriberCount);
    }

    [Fact]
    public void Parameters_FromTheUrl_ShapeTheFirstQuery()
    {
        for (var i = 0; i < 30; i++)
            Log.Add($"m{i}", $"Message {i}", chatId: "c-2", minutesAgo: i);

        var cut = RenderList(TestSessions.Operator(), parameters: p => p
            .Add(x => x.ChatId, "c-2").Add(x => x.Text, "Message").Add(x => x.Page, 1));

        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("[data-testid=message-row]").Count), Patience);
        Assert.Equal(new MessageQuery(1, "c-2", null, "Message", 1, MessageList.PageSize), Log.Queries[0]);
    }

    [Fact]
    public void Search_IsDebounced_AndReportedToTheParent()
    {
        Log.Add("m1", "Invoice attached");
        Log.Add("m2", "Thanks a lot");
        MessageFilter? reported = null;
        var cut = RenderList(TestSessions.Operator(), parameters: p => p.Add(x => x.OnFilterChanged, f => reported = f));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=message-row]").Count), Patience);

        cut.Find("[data-testid=search-field]").Input("invoice");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-row]")), Patience);
        Assert.Equal("invoice", Log.Queries.Last().Text);
        Assert.Equal(new MessageFilter(Text: "invoice"), reported);
    }

    [Fact]
    public void StatusFilter_ReloadsFromTheFirstPage_AndReportsTheFilter()
    {
        Log.Add("m1", "ok", status: MessageStatus.Sent);
        Log.Add("m2", "bad", status: MessageStatus.Failed, failureReason: "x");
        MessageFilter? reported = null;
        var cut = RenderList(TestSessions.Operator(), parameters: p => p.Add(x => x.OnFilterChanged, f => reported = f));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=message-row]").Count), Patience);

        cut.Find("[data-testid=status-filter]").Change("Failed");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-row]")), Patience);
        Assert.Equal(new MessageFilter(Status: MessageStatus.Failed), reported);
    }

    [Fact]
    public void Operator_SeesNoTestSendButton_ButAnAdministratorDoes()
    {
        var operatorView = RenderList(TestSessions.Operator());
        Assert.Empty(operatorView.FindAll("[data-testid=send-test-button]"));

        var adminView = RenderList(TestSessions.Admin());
        Assert.NotEmpty(adminView.FindAll("[data-testid=send-test-button]"));
    }

    [Fact]
    public void EditButton_OpensTheEditDialog_AndTheSavedEditShowsAsQueued()
    {
        var session = TestSessions.Operator();
        Log.Add("m1", "Helo");
        var provider = Render<MudBlazor.MudDialogProvider>();
        var cut = RenderList(session);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=edit-button]")), Patience);

        ClickRowAction(cut, "edit-button");
        provider.WaitForAssertion(() => Assert.NotNull(provider.Find("[data-testid=edit-text]")), Patience);
        provider.Find("[data-testid=edit-text]").Input("Hello");
        provider.Find("[data-testid=edit-save]").Click();

        cut.WaitForAssertion(() => Assert.Equal("Hello", Row(cut, "m1").QuerySelector("[data-testid=message-text]")!.TextContent), Patience);
        Assert.Equal("Queued", Row(cut, "m1").QuerySelector("[data-testid=status-chip]")!.GetAttribute("data-status"));
        Assert.Equal(("m1", 1, "Hello"), Editor.Edits.Single());
    }

    [Fact]
    public void Render_OffersNoEdit_ForDeletedMessagesOrOperatorReplies()
    {
        Log.Add("live", "Editable");
        Log.Add("gone", "Deleted", status: MessageStatus.Deleted);
        Log.Messages.Add(Log.Add("reply", "Operator reply") with { Direction = MessageDirection.Outgoing });
        Log.Messages.RemoveAll(m => m.Id == "reply" && m.Direction == MessageDirection.Incoming);

        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=message-row]").Count), Patience);
        Assert.NotNull(Row(cut, "live").QuerySelector("[data-testid=edit-button]"));
        Assert.Null(Row(cut, "gone").QuerySelector("[data-testid=edit-button]"));
        Assert.Null(Row(cut, "reply").QuerySelector("[data-testid=edit-button]"));
        Assert.NotNull(Row(cut, "reply").QuerySelector("[data-testid=history-button]"));
    }

    [Fact]
    public void Render_SpeaksRussian_WhenPortalLanguageIsRu()
    {
        Log.Add("m1", "Привет", status: MessageStatus.Sent);

        var cut = RenderList(TestSessions.Operator("ru"));

        cut.WaitForAssertion(() => Assert.Contains("Отправлено", Row(cut, "m1").TextContent), Patience);
        Assert.Contains("Сообщения линии Support", cut.Markup);
    }

    private void Change(string id, Func<SentMessage, SentMessage> change)
    {
        var index = Log.Messages.FindIndex(m => m.Id == id);
        Log.Messages[index] = change(Log.Messages[index]);
    }

    [Fact]
    public void Render_ShowsTheChatsNameAndItsId()
    {
        Log.Add("m1", "Hello", chatId: "order-1042");

        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-row]")), Patience);
        var row = Row(cut, "m1");
        Assert.Contains("Chat order-1042", row.QuerySelector("[data-testid=message-chat]")!.TextContent);
        Assert.Equal("order-1042", row.QuerySelector("[data-testid=message-chat-id]")!.TextContent);
    }

    [Fact]
    public void LongText_IsClamped_AndShownWholeWithOneClick()
    {
        Log.Add("long", string.Join(' ', Enumerable.Repeat("word", 1000)));
        Log.Add("short", "Short one");

        var cut = RenderList(TestSessions.Operator());
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=message-row]").Count), Patience);

        Assert.Null(Row(cut, "short").QuerySelector("[data-testid=show-all]"));
        Assert.Contains("lb-clamp", Row(cut, "long").QuerySelector("[data-testid=message-text]")!.ClassName);
        var showAll = Row(cut, "long").QuerySelector("[data-testid=show-all]")!;
        Assert.Equal("false", showAll.GetAttribute("aria-expanded"));
        Assert.Contains("4999", showAll.TextContent);

        showAll.Click();

        cut.WaitForAssertion(() => Assert.DoesNotContain("lb-clamp", Row(cut, "long").QuerySelector("[data-testid=message-text]")!.ClassName), Patience);
        Assert.Equal("true", Row(cut, "long").QuerySelector("[data-testid=show-all]")!.GetAttribute("aria-expanded"));
    }

    [Fact]
    public void Files_AreListedInTheRow_WithNameAndLink_EvenWithoutText()
    {
        Log.Add("f", "");
        Change("f", m => m with { Files = [new MessageFile("invoice.pdf", "https://files.example.test/invoice.pdf")] });

        var cut = RenderList(TestSessions.Operator());

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-file]")), Patience);
        var link = cut.Find("[data-testid=message-file]");
        Assert.Equal("invoice.pdf", link.TextContent);
        Assert.Equal("https://files.example.test/invoice.pdf", link.GetAttribute("href"));
    }

    [Fact]
    public void WaitingMessage_SaysWhyItWaits_InTheUsersLanguage()
    {
        Log.Add("w", "Hello", status: MessageStatus.Queued, failureReason: "Waiting to retry (INTERNAL_SERVER_ERROR: boom)");

        var english = RenderList(TestSessions.Operator());
        english.WaitForAssertion(() => Assert.NotNull(english.Find("[data-testid=status-reason]")), Patience);
        Assert.Equal("Waiting to retry: The portal failed inside (HTTP 500). (INTERNAL_SERVER_ERROR)",
            english.Find("[data-testid=status-reason]").TextContent);

        var russian = RenderList(TestSessions.Operator("ru"));
        russian.WaitForAssertion(() => Assert.NotNull(russian.Find("[data-testid=status-reason]")), Patience);
        Assert.StartsWith("Ожидает повтора: Внутренняя ошибка портала", russian.Find("[data-testid=status-reason]").TextContent);
    }

    [Theory]
    [InlineData("en", "Waiting for an address: no webhook is set for open line 1.", "Waiting to retry: The portal is over its request limit")]
    [InlineData("ru", "Ожидает адреса: для открытой линии 1 не задан вебхук.", "Ожидает повтора: Портал превысил лимит запросов")]
    public void RecordedReasons_AreToldInThePortalsLanguage(string language, string waiting, string retrying)
    {
        Log.Add("w", "Hello", minutesAgo: 2, status: MessageStatus.Waiting,
            failureReason: new Localization.LocalText("Reason.NoWebhook", "1").Encode());
        Log.Add("r", "Again", minutesAgo: 1, status: MessageStatus.Queued, failureReason: new Localization.LocalText(
            Localization.Localizer.RetryCode, "2", "2026-11-30T07:00:20Z", "QUERY_LIMIT_EXCEEDED: Too many requests").Encode());

        var cut = RenderList(TestSessions.Operator(language));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=status-reason]").Count), Patience);
        Assert.StartsWith(waiting, Row(cut, "w").QuerySelector("[data-testid=status-reason]")!.TextContent);
        Assert.StartsWith(retrying, Row(cut, "r").QuerySelector("[data-testid=status-reason]")!.TextContent);
        Assert.DoesNotContain("{\"code\"", cut.Markup);
    }

    [Theory]
    [InlineData("en", "312 chats match “an”; the table shows the messages of the 50 that match best", "Type more of the chat's name or id")]
    [InlineData("ru", "Под «an» подходят чаты: 312; в таблице сообщения 50 наиболее подходящих", "введите название или id чата подробнее")]
    public void BroadChatSearch_SaysMoreChatsMatch_AndHowToNarrow(string language, string says, string narrow)
    {
        Log.Add("m1", "Hello", chatId: "an");
        Log.ChatSearch = (312, 50);

        var cut = RenderList(TestSessions.Operator(language), parameters: p => p.Add(x => x.ChatId, "an"));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=chat-matches-capped]")), Patience);
        var notice = cut.Find("[data-testid=chat-matches-capped]").TextContent;
        Assert.StartsWith(says, notice);
        Assert.Contains(narrow, notice);
    }

    [Fact]
    public void NarrowChatSearch_SaysNothingMore()
    {
        Log.Add("m1", "Hello", chatId: "an");
        Log.ChatSearch = (3, 3);

        var cut = RenderList(TestSessions.Operator(), parameters: p => p.Add(x => x.ChatId, "an"));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=message-row]")), Patience);
        Assert.Empty(cut.FindAll("[data-testid=chat-matches-capped]"));
    }

    [Fact]
    public void OperatorReply_ShowsTheOperatorsName_NotARawNumber()
    {
        Log.Add("r", "We are on it");
        Change("r", m => m with { Direction = MessageDirection.Outgoing, ExternalUserId = "2", ExternalUserName = "Operator #2" });

        var cut = RenderList(TestSessions.Operator("ru"));

        cut.WaitForAssertion(() => Assert.Contains("Оператор №2", Row(cut, "r").QuerySelector("[data-testid=message-user]")!.TextContent), Patience);
    }

    [Fact]
    public void Rows_ArePlainMarkup_WithNoComponentPerCell()
    {
        for (var i = 0; i < 25; i++) Log.Add($"m{i}", $"Message {i}", minutesAgo: i);

        var cut = RenderList(TestSessions.Admin());
        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("[data-testid=message-row]").Count), Patience);

        // The table's components do not grow with its rows (25 rows, a handful of components for the toolbar and pager).
        Assert.Empty(cut.FindComponents<MudBlazor.MudTd>());
        Assert.Empty(cut.FindComponents<MudBlazor.MudChip<string>>());
        Assert.Empty(cut.FindComponents<MudBlazor.MudTooltip>());
        Assert.DoesNotContain(cut.FindComponents<MudBlazor.MudIconButton>(),
            b => b.Instance.UserAttributes.TryGetValue("data-testid", out var id) && (string?)id is "edit-button" or "history-button");
        Assert.Equal(25, cut.FindAll("button[data-testid=history-button]").Count);
    }

    [Fact]
    public void Revert_OffersUndo_ThatRestoresTheReplacedText()
    {
        Log.Add("m1", "Second text", version: 2);
        Log.History["m1"] =
        [
            new MessageVersion(1, null, "First text", "API", "API", DateTimeOffset.UtcNow, MessageStatus.Sent, "SUCCESS"),
            new MessageVersion(2, "First text", "Second text", "Anna", "portal user #1", DateTimeOffset.UtcNow, MessageStatus.Sent, "SUCCESS"),
        ];
        var provider = Render<MudBlazor.MudDialogProvider>();
        var cut = RenderList(TestSessions.Operator());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=history-button]")), Patience);

        ClickRowAction(cut, "history-button");
        provider.WaitForAssertion(() => Assert.Single(provider.FindAll("[data-testid=revert-button]")), Patience);
        provider.Find("[data-testid=revert-button]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Reverted to version 1", cut.Find("[data-testid=revert-undo]").TextContent), Patience);
        cut.Find("[data-testid=revert-undo-button]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=revert-undo]")), Patience);
        Assert.Equal([("m1", 1, 2), ("m1", 2, 3)], Editor.Reverts);
    }
}
