namespace LineBridge.Components.Messages;

public sealed class BbCodeTests
{
    [Fact]
    public void ToHtml_EscapesHtml_SoNoMarkupCanBeInjected()
    {
        var html = BbCode.ToHtml("<script>alert('x')</script><b onclick=x>hi</b>");

        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<b ", html);
        Assert.Contains("&lt;script&gt;", html);
    }

    [Theory]
    [InlineData("[b]x[/b]", "<strong>x</strong>")]
    [InlineData("[i]x[/i]", "<em>x</em>")]
    [InlineData("[u]x[/u]", "<u>x</u>")]
    [InlineData("[s]x[/s]", "<s>x</s>")]
    [InlineData("a[br]b", "a<br />b")]
    [InlineData("a\nb", "a<br />b")]
    [InlineData("[B][I]x[/I][/B]", "<strong><em>x</em></strong>")]
    public void ToHtml_TurnsKnownTagsIntoMarkup(string text, string expected)
    {
        Assert.Equal(expected, BbCode.ToHtml(text));
    }

    [Fact]
    public void ToHtml_LinksHttpUrls_InANewTab()
    {
        var html = BbCode.ToHtml("[url=https://example.test/a?b=1&c=2]site[/url]");

        Assert.Equal("<a href=\"https://example.test/a?b=1&amp;c=2\" target=\"_blank\" rel=\"noopener noreferrer\">site</a>", html);
    }

    [Theory]
    [InlineData("[url=javascript:alert(1)]click[/url]")]
    [InlineData("[url=\" onmouseover=\"alert(1)]click[/url]")]
    [InlineData("[url]javascript:alert(1)[/url]")]
    public void ToHtml_NeverLinksUnsafeUrls(string text)
    {
        var html = BbCode.ToHtml(text);

        Assert.DoesNotContain("<a", html);
        Assert.DoesNotContain("onmouseover=\"", html);
    }

    [Fact]
    public void ToHtml_RendersQuotes()
    {
        Assert.Equal("<blockquote class=\"lb-quote\">earlier words</blockquote>", BbCode.ToHtml("[quote]earlier words[/quote]"));
        Assert.Contains("<blockquote class=\"lb-quote\"> earlier</blockquote>", BbCode.ToHtml(">> earlier\nreply"));
    }

    [Fact]
    public void ToHtml_LeavesUnknownOrUnclosedTagsAsText()
    {
        Assert.Equal("[b]open [color=red]x[/color]", BbCode.ToHtml("[b]open [color=red]x[/color]"));
    }
}
