using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace LineBridge.Components.Layout;

/// <summary>
/// MudThemeProvider (the same markup, parameters and dark-mode interop) whose theme CSS is built once per theme and
/// mode and shared by every circuit. MudBlazor 9 builds the theme's <c>&lt;style&gt;</c> of CSS variables anew at each
/// render of each provider: a string of about 13,000 characters (26 KB) that the circuit's render tree holds for as
/// long as the page is open, the same text in every circuit. A page that stays open in a portal's frame must be light
/// (issue 15: ≤ 500 KB per connected page), so the string is made once and the render tree keeps a reference.
/// The markup is MudBlazor 9.12's MudThemeProvider.razor (scrollbar style, chart style, theme style), to be checked
/// again when MudBlazor is updated (<c>SharedThemeProviderTests</c> compares the two).
/// </summary>
public sealed class SharedThemeProvider : MudThemeProvider
{
    private const int MaxSharedStyles = 8;
    private static readonly ConcurrentDictionary<string, string> Styles = new(StringComparer.Ordinal);
    private static readonly MarkupString Scrollbar = (MarkupString)BuildMudBlazorScrollbar();

    // MudThemeProvider's own chart style (MudBlazor 9.12's MudThemeProvider.razor), unchanged.
    private const string ChartStyle = "<style>\n    .mud-chart-serie:hover {\n        filter: url(#lighten);\n    }\n\n    .mud-chart-serie-hovered \n    {\n        filter: url(#lighten);\n    }\n</style>\n\n";

    /// <summary>Renders what MudThemeProvider renders: the scrollbar style (unless default), the chart style, the theme.</summary>
    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        if (!DefaultScrollbar)
            builder.AddContent(0, Scrollbar);
        builder.AddMarkupContent(1, ChartStyle);
        builder.AddContent(2, (MarkupString)ThemeStyle());
    }

    // MudBlazor's own BuildTheme (it reads the provider's dark-mode state, which the system's mode may change under the
    // parameter), with the text then swapped for the one instance every circuit shares: building costs a moment at a
    // render of the provider (the first, a change of mode), keeping it per circuit would cost 26 KB for as long as
    // the page is open. A fixed theme has two texts (light, dark); the cap only guards against a theme changed at run time.
    private string ThemeStyle()
    {
        var built = BuildTheme();
        if (Styles.TryGetValue(built, out var shared))
            return shared;
        return Styles.Count < MaxSharedStyles ? Styles.GetOrAdd(built, built) : built;
    }
}
