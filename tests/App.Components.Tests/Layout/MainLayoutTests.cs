using Bunit;
using LineBridge.Components.Localization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Utilities;

namespace LineBridge.Components.Layout;

public sealed class MainLayoutTests : ComponentTestBase
{
    [Fact]
    public void DarkModeToggle_SwitchesTheThemeBetweenLightAndDark()
    {
        var cut = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b =>
        {
            b.OpenComponent<CascadingValue<Localizer>>(0);
            b.AddComponentParameter(1, "Value", Localizer.English);
            b.AddComponentParameter(2, "ChildContent", (RenderFragment)(inner =>
            {
                inner.OpenComponent<DarkModeToggle>(0);
                inner.CloseComponent();
            }));
            b.CloseComponent();
        })));
        Assert.False(cut.Instance.IsDarkMode);
        Assert.Equal("Switch to dark theme", cut.Find("[data-testid=dark-mode-toggle]").GetAttribute("aria-label"));

        cut.Find("[data-testid=dark-mode-toggle]").Click();

        cut.WaitForAssertion(() => Assert.True(cut.Instance.IsDarkMode), Patience);
        cut.WaitForAssertion(() => Assert.Equal("Switch to light theme", cut.Find("[data-testid=dark-mode-toggle]").GetAttribute("aria-label")), Patience);
    }

    [Fact]
    public void Theme_KeepsBitrix24Colours()
    {
        Assert.Equal("#2fc6f6", Hex(LineBridgeTheme.Theme.PaletteDark.Primary));
        Assert.Equal("#2066b0", Hex(LineBridgeTheme.Theme.PaletteLight.Secondary));
        Assert.Equal("#eef2f4", Hex(LineBridgeTheme.Theme.PaletteLight.Background));
    }

    /// <summary>WCAG 2.2 AA (1.4.3): 4.5:1 for every colour text is written in, and for text on every filled colour.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Theme_TextColoursMeetWcagAaContrast(bool dark)
    {
        Palette palette = dark ? LineBridgeTheme.Theme.PaletteDark : LineBridgeTheme.Theme.PaletteLight;
        var texts = new (string Name, MudColor Colour)[]
        {
            ("TextPrimary", palette.TextPrimary), ("TextSecondary", palette.TextSecondary), ("Primary", palette.Primary),
            ("Secondary", palette.Secondary), ("Tertiary", palette.Tertiary), ("Info", palette.Info),
            ("Success", palette.Success), ("Warning", palette.Warning), ("Error", palette.Error),
        };
        foreach (var (name, colour) in texts)
        {
            foreach (var (backgroundName, background) in new[] { ("Surface", palette.Surface), ("Background", palette.Background) })
                Assert.True(Contrast(colour, background) >= 4.5, $"{name} on {backgroundName}: {Contrast(colour, background):F2}:1");
        }
        foreach (var (name, fill, text) in new[]
        {
            ("Primary", palette.Primary, palette.PrimaryContrastText), ("Secondary", palette.Secondary, palette.SecondaryContrastText),
        })
        {
            Assert.True(Contrast(text, fill) >= 4.5, $"text on {name}: {Contrast(text, fill):F2}:1");
        }
    }

    private static string Hex(MudColor colour) => colour.ToString(MudColorOutputFormats.Hex).ToLowerInvariant();

    private static double Contrast(MudColor a, MudColor b)
    {
        var (la, lb) = (Luminance(a), Luminance(b));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    private static double Luminance(MudColor c)
    {
        static double Channel(byte v)
        {
            var s = v / 255.0;
            return s <= 0.03928 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * Channel(c.R) + 0.7152 * Channel(c.G) + 0.0722 * Channel(c.B);
    }
}
