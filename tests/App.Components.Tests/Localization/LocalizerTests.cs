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
}
