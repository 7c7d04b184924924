using MudBlazor;

namespace LineBridge.Components.Layout;

/// <summary>
/// MudBlazor in Bitrix24's colours: its light-blue primary and dark-blue accent, grey-blue text, the pale
/// blue-grey page background and rounded white cards. Fonts come from the system stack (no web fonts: the app
/// runs offline and inside the portal's frame).
/// WCAG 2.2 AA: in the light palette every colour that carries text (white on a filled button, coloured text on white
/// or on the page background) is a darker shade of Bitrix24's own, at least 4.5:1; Bitrix24's light blue (#2fc6f6,
/// 1.99:1 under white) stays as the dark palette's primary, where dark text sits on it at 8.8:1.
/// </summary>
public static class LineBridgeTheme
{
    private static readonly string[] FontStack =
        ["\"Open Sans\"", "\"Helvetica Neue\"", "Helvetica", "Arial", "\"Segoe UI\"", "Roboto", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#006f96",
            PrimaryContrastText = "#ffffff",
            Secondary = "#2066b0",
            SecondaryContrastText = "#ffffff",
            Tertiary = "#525c69",
            Info = "#2066b0",
            Success = "#467209",
            Warning = "#8f5a00",
            Error = "#c9302c",
            TextPrimary = "#333333",
            TextSecondary = "#525c69",
            Background = "#eef2f4",
            Surface = "#ffffff",
            AppbarBackground = "#ffffff",
            AppbarText = "#333333",
            DrawerBackground = "#ffffff",
            LinesDefault = "#dfe3e8",
            TableLines = "#e7eaed",
            Divider = "#e7eaed",
            ActionDefault = "#525c69",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#2fc6f6",
            PrimaryContrastText = "#0d1b24",
            Secondary = "#6aa9ef",
            SecondaryContrastText = "#0d1b24",
            Tertiary = "#a8b3bf",
            Info = "#6aa9ef",
            Success = "#9bd33a",
            Warning = "#ffbf40",
            Error = "#ff7a75",
            TextPrimary = "#e6ebef",
            TextSecondary = "#a8b3bf",
            Background = "#1b222b",
            Surface = "#252e39",
            AppbarBackground = "#252e39",
            AppbarText = "#e6ebef",
            DrawerBackground = "#252e39",
            LinesDefault = "#3a4552",
            TableLines = "#333d49",
            Divider = "#333d49",
            ActionDefault = "#a8b3bf",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = FontStack, FontSize = "0.875rem" },
            H1 = new H1Typography { FontFamily = FontStack },
            H2 = new H2Typography { FontFamily = FontStack },
            H3 = new H3Typography { FontFamily = FontStack },
            H4 = new H4Typography { FontFamily = FontStack, FontSize = "1.5rem", FontWeight = "400" },
            H5 = new H5Typography { FontFamily = FontStack, FontSize = "1.25rem", FontWeight = "400" },
            H6 = new H6Typography { FontFamily = FontStack, FontSize = "1.0625rem", FontWeight = "600" },
            Button = new ButtonTypography { FontFamily = FontStack, TextTransform = "none", FontWeight = "600" },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "10px" },
    };
}
