using Bunit;
using LineBridge.Components.Localization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

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
    public void Theme_UsesBitrix24Colours()
    {
        Assert.Equal("#2fc6f6", LineBridgeTheme.Theme.PaletteLight.Primary.ToString(MudBlazor.Utilities.MudColorOutputFormats.Hex).ToLowerInvariant());
        Assert.Equal("#eef2f4", LineBridgeTheme.Theme.PaletteLight.Background.ToString(MudBlazor.Utilities.MudColorOutputFormats.Hex).ToLowerInvariant());
    }
}
