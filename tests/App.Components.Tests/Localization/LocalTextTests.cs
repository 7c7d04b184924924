namespace LineBridge.Components.Localization;

/// <summary>
/// Texts the server records for people (waiting reasons, refusals) are stored as a code and arguments and told in the
/// viewer's language; older English texts still read as they were (issue 13, item 11).
/// </summary>
public sealed class LocalTextTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Encode_ThenDecode_GivesTheSameText_WithQuotesAndCyrillicKeptReadable()
    {
        var text = new LocalText("Problem.ChatsAmbiguous", "3", "Иван \"VIP\"");

        var stored = text.Encode();

        Assert.StartsWith("{\"code\":\"Problem.ChatsAmbiguous\"", stored);
        Assert.Contains("Иван", stored);
        Assert.Equal(text, LocalText.Decode(stored));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Waiting: open line 5 is not connected to LineBridge.")]
    [InlineData("{\"code\":\"X\"} and more")]
    [InlineData("{\"code\":")]
    public void Decode_GivesNull_ForPlainOrBrokenTexts(string? stored)
    {
        Assert.Null(LocalText.Decode(stored));
    }

    [Fact]
    public void DescribeReason_TellsARecordedReason_InRussianAndInEnglish()
    {
        var stored = new LocalText("Reason.LineDisconnected", "5").Encode();

        Assert.Equal(
            "Waiting: open line 5 is not connected to LineBridge. It goes out once an administrator connects the line again (LineBridge → Settings → Connect).",
            Localizer.English.DescribeReason(stored));
        Assert.Equal(
            "Ожидает: открытая линия 5 не подключена к LineBridge. Сообщение уйдёт, когда администратор снова подключит линию (LineBridge → Настройки → Подключить).",
            Localizer.For("ru").DescribeReason(stored));
    }

    [Fact]
    public void DescribeReason_TellsARecordedRetry_WithTheWaitAndThePortalsCodeAsASentence()
    {
        var stored = new LocalText(Localizer.RetryCode, "3", "2026-11-30T07:00:20Z", "INTERNAL_SERVER_ERROR: boom").Encode();

        Assert.Equal("Waiting to retry: The portal failed inside (HTTP 500). (INTERNAL_SERVER_ERROR); attempt 3, next try in 20 s",
            Localizer.English.DescribeReason(stored, Now));
        Assert.Equal("Ожидает повтора: Внутренняя ошибка портала (HTTP 500). (INTERNAL_SERVER_ERROR); попытка 3, следующая через 20 с",
            Localizer.For("ru").DescribeReason(stored, Now));
    }

    [Fact]
    public void DescribeReason_TellsANestedRecordedReason_InsideARetry()
    {
        var inner = new LocalText("Reason.TokensRefused", "NO_AUTH_FOUND").Encode();
        var stored = new LocalText(Localizer.RetryCode, "2", "2026-11-30T07:03:00Z", inner).Encode();

        var russian = Localizer.For("ru").DescribeReason(stored, Now);

        Assert.StartsWith("Ожидает повтора: Ожидает: портал отклонил доступ LineBridge (NO_AUTH_FOUND).", russian);
        Assert.EndsWith("попытка 2, следующая через 3 мин", russian);
    }

    [Fact]
    public void DescribeReason_ShowsOlderEnglishTexts_AsTheyWere_AndRendersARecordedTextQuotedInside()
    {
        const string older = "Waiting: open line 5 is not connected to LineBridge. It goes out once an administrator connects the line again.";
        Assert.Equal(older, Localizer.For("ru").DescribeReason(older));

        var quoting = $"The message never reached the portal ({new LocalText("Reason.LineDeleted", "4").Encode()}); there is nothing to change.";
        Assert.Equal("The message never reached the portal (Не отправлено: открытая линия 4 удалена на портале.); there is nothing to change.",
            Localizer.For("ru").DescribeReason(quoting));
    }

    [Fact]
    public void PlainEnglish_GivesTheApiItsEnglishShapes_AndLeavesPlainTextsAlone()
    {
        var retry = new LocalText(Localizer.RetryCode, "1", "2026-11-30T07:00:20Z", "QUERY_LIMIT_EXCEEDED: Too many requests").Encode();

        Assert.Equal("Waiting to retry (attempt 1, next try at 2026-11-30T07:00:20Z) (QUERY_LIMIT_EXCEEDED: Too many requests)",
            Localizer.PlainEnglish(retry));
        Assert.Equal("ERROR_ARGUMENT: bad", Localizer.PlainEnglish("ERROR_ARGUMENT: bad"));
        Assert.Null(Localizer.PlainEnglish(null));
    }

    [Fact]
    public void Render_ShowsTheCode_ForAnUnknownOne_SoTheGapIsVisible()
    {
        Assert.Equal("Reason.FromANewerVersion", Localizer.For("ru").DescribeReason(new LocalText("Reason.FromANewerVersion").Encode()));
    }

    [Fact]
    public void Explain_TellsAFailuresText_InTheUsersLanguage_AndKeepsEnglishInTheMessage()
    {
        var failure = new OperationFailedException(new LocalText("Problem.TextTooLong", "5000", "4000"));

        Assert.Equal("The text has 5000 characters; the portal takes at most 4000.", failure.Message);
        Assert.Equal("В тексте 5000 символов; портал принимает не более 4000.", Localizer.For("ru").Explain(failure));
    }

    [Fact]
    public void Explain_PrefersThePortalsCode_WhenThereIsASentenceForIt()
    {
        var failure = new OperationFailedException(new LocalText("Problem.PortalRefused", "NOT_ACTIVE_LINE", "inactive"))
        {
            PortalErrorCode = "NOT_ACTIVE_LINE",
        };
        var unknown = new OperationFailedException(new LocalText("Problem.PortalRefused", "SOMETHING_NEW", "odd"))
        {
            PortalErrorCode = "SOMETHING_NEW",
        };

        Assert.Equal("Открытая линия неактивна или не существует. (NOT_ACTIVE_LINE)", Localizer.For("ru").Explain(failure));
        Assert.Equal("Портал отказал: SOMETHING_NEW odd", Localizer.For("ru").Explain(unknown));
    }
}
