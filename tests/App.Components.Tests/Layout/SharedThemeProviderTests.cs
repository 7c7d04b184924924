using System.Reflection;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.RenderTree;
using MudBlazor;

namespace LineBridge.Components.Layout;

/// <summary>
/// SharedThemeProvider renders exactly what MudThemeProvider renders (the theme's CSS variables in both modes, the
/// scrollbar and chart styles), but every instance keeps the same theme string instead of building its own 26 KB copy
/// that the circuit holds for as long as the page is open (issue 15).
/// </summary>
public sealed class SharedThemeProviderTests : ComponentTestBase
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RendersWhatMudThemeProviderRenders(bool dark)
    {
        var mud = Render<MudThemeProvider>(p => p.Add(x => x.Theme, LineBridgeTheme.Theme).Add(x => x.IsDarkMode, dark));
        var shared = Render<SharedThemeProvider>(p => p.Add(x => x.Theme, LineBridgeTheme.Theme).Add(x => x.IsDarkMode, dark));

        Assert.Contains("--mud-palette-primary: " + (dark ? LineBridgeTheme.Theme.PaletteDark : LineBridgeTheme.Theme.PaletteLight).Primary,
            shared.Markup);
        Assert.Equal(mud.Markup, shared.Markup);
    }

    [Fact]
    public void EveryProviderKeepsTheSameThemeString_NotItsOwnCopy()
    {
        var first = Render<SharedThemeProvider>(p => p.Add(x => x.Theme, LineBridgeTheme.Theme));
        var second = Render<SharedThemeProvider>(p => p.Add(x => x.Theme, LineBridgeTheme.Theme));
        var mudFirst = Render<MudThemeProvider>(p => p.Add(x => x.Theme, LineBridgeTheme.Theme));
        var mudSecond = Render<MudThemeProvider>(p => p.Add(x => x.Theme, LineBridgeTheme.Theme));

        var theme = ThemeString(first);
        Assert.True(theme.Length > 5_000, $"the theme's style is {theme.Length} characters");
        Assert.Same(theme, ThemeString(second));
        // What it replaces: MudThemeProvider builds a copy per instance (so per circuit).
        Assert.Equal(ThemeString(mudFirst), ThemeString(mudSecond));
        Assert.NotSame(ThemeString(mudFirst), ThemeString(mudSecond));
    }

    /// <summary>The longest markup frame of the component's current render tree: its theme's style element.</summary>
    private string ThemeString<T>(IRenderedComponent<T> component) where T : IComponent
    {
        var range = typeof(Renderer).GetMethod("GetCurrentRenderTreeFrames", BindingFlags.Instance | BindingFlags.NonPublic)!
            .Invoke(Renderer, [component.ComponentId])!;
        var count = (int)range.GetType().GetField("Count")!.GetValue(range)!;
        var frames = (Array)range.GetType().GetField("Array")!.GetValue(range)!;
#pragma warning disable BL0006 // the render tree's frames are what a circuit keeps: the figure this test guards
        return Enumerable.Range(0, count).Select(i => (RenderTreeFrame)frames.GetValue(i)!)
            .Where(f => f.FrameType == RenderTreeFrameType.Markup).Select(f => f.MarkupContent).MaxBy(m => m.Length)!;
#pragma warning restore BL0006
    }
}
