using System.Collections;
using System.Globalization;
using System.Resources;

namespace LineBridge.Components.Localization;

public sealed class LocalizerTests
{
    // English is the neutral (invariant) set; Russian is its own satellite, read without falling back to English.
    private static Dictionary<string, string> Strings(string culture)
    {
        var manager = new ResourceManager("LineBridge.Components.Localization.Texts", typeof(Localizer).Assembly);
        var info = culture == "en" ? CultureInfo.InvariantCulture : CultureInfo.GetCultureInfo(culture);
        var set = manager.GetResourceSet(info, createIfNotExists: true, tryParents: false)!;
        return set.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!);
    }

    [Fact]
    public void For_UsesRussianStrings_WhenLanguageIsRu()
    {
        Assert.Equal("Отмена", Localizer.For("ru")["Common.Cancel"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("xx-not-a-culture-at-all")]
    [InlineData("de")]
    public void For_FallsBackToEnglish_WhenLanguageIsMissingOrUnknown(string? language)
    {
        Assert.Equal("Cancel", Localizer.For(language)["Common.Cancel"]);
    }

    [Fact]
    public void Indexer_ShowsTheKey_WhenAStringIsMissing()
    {
        Assert.Equal("No.Such.Key", Localizer.English["No.Such.Key"]);
    }

    [Fact]
    public void Russian_TranslatesEveryEnglishString()
    {
        var english = Strings("en");
        var russian = Strings("ru");

        Assert.NotEmpty(english);
        Assert.Empty(english.Keys.Except(russian.Keys));
        Assert.All(russian, pair => Assert.False(string.IsNullOrWhiteSpace(pair.Value), pair.Key));
    }

    [Fact]
    public void Format_KeepsTheSamePlaceholders_InBothLanguages()
    {
        var english = Strings("en");
        var russian = Strings("ru");
        var placeholder = new System.Text.RegularExpressions.Regex(@"\{[^}]+\}");

        Assert.All(english, pair =>
        {
            var expected = placeholder.Matches(pair.Value).Select(m => m.Value).Order().ToList();
            var actual = placeholder.Matches(russian[pair.Key]).Select(m => m.Value).Order().ToList();
            Assert.True(expected.SequenceEqual(actual), pair.Key);
        });
    }

    [Fact]
    public void FormatTime_ShowsTheUsersTimeZone_AndFormatUtcTheSameMomentInUtc()
    {
        var moment = new DateTimeOffset(2026, 11, 30, 7, 5, 0, TimeSpan.Zero);
        var moscow = Localizer.For("ru").WithTimeZone("Europe/Moscow");

        Assert.Equal("30.11.2026 10:05", moscow.FormatTime(moment));
        Assert.Equal("30.11.2026 07:05 UTC", moscow.FormatUtc(moment));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Not/AZone")]
    public void WithTimeZone_KeepsUtc_WhenTheZoneIsMissingOrUnknown(string? zone)
    {
        Assert.Equal(TimeZoneInfo.Utc, Localizer.English.WithTimeZone(zone).TimeZone);
    }

    [Theory]
    [InlineData("NOT_ACTIVE_LINE: Line is not active", "The open line is inactive or does not exist. (NOT_ACTIVE_LINE)")]
    [InlineData("Waiting to retry (QUERY_LIMIT_EXCEEDED: Too many requests)", "Waiting to retry: The portal is over its request limit; LineBridge waits and tries again. (QUERY_LIMIT_EXCEEDED)")]
    [InlineData("SOME_NEW_CODE: what the portal said", "SOME_NEW_CODE: what the portal said")]
    [InlineData("The portal returned no result for this message.", "The portal returned no result for this message.")]
    public void DescribeReason_TellsPortalCodesAsSentences_AndKeepsUnknownOnesAsGiven(string reason, string expected)
    {
        Assert.Equal(expected, Localizer.English.DescribeReason(reason));
    }

    [Theory]
    [InlineData("API", "внешняя система (API)")]
    [InlineData("portal user #3", "пользователь портала №3")]
    [InlineData("portal user #3, revert to version 2", "пользователь портала №3, возврат к версии 2")]
    [InlineData("API (delete)", "внешняя система (API) (удаление)")]
    public void DescribeSource_SpeaksTheUsersLanguage(string source, string expected)
    {
        Assert.Equal(expected, Localizer.For("ru").DescribeSource(source));
    }

    [Fact]
    public void DescribeReason_SaysWhichAttemptAndWhenTheNextTryIs()
    {
        var now = new DateTimeOffset(2026, 11, 30, 7, 0, 0, TimeSpan.Zero);
        const string reason = "Waiting to retry (attempt 3, next try at 2026-11-30T07:00:20Z) (INTERNAL_SERVER_ERROR: boom)";

        Assert.Equal("Waiting to retry: The portal failed inside (HTTP 500). (INTERNAL_SERVER_ERROR); attempt 3, next try in 20 s",
            Localizer.English.DescribeReason(reason, now));
        Assert.EndsWith("попытка 3, следующая через 3 мин",
            Localizer.For("ru").DescribeReason(reason.Replace("07:00:20", "07:03:00"), now));
        Assert.EndsWith("next try now", Localizer.English.DescribeReason(reason, now.AddMinutes(1)));
    }
}
