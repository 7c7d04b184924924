using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LineBridge.Components.Layout;

/// <summary>
/// MudBlazor's button and icon markup (the same classes, so the same look and focus ring), for buttons written as plain
/// <c>&lt;button&gt;</c> elements on pages that stay open. A MudButton is two or three live components (the button, its
/// icon), each with its own state and two render-tree buffers, in every circuit for as long as the page is open; a plain
/// element is a few render-tree frames. The strings are built once per combination and shared by every page, so a
/// render keeps references, not copies.
/// </summary>
internal static class PlainMarkup
{
    private static readonly ConcurrentDictionary<(Variant, Color, Size), string> ButtonClasses = new();
    private static readonly ConcurrentDictionary<(string, Size), MarkupString> StartIcons = new();

    /// <summary>The classes MudButton gives a button of this variant, colour and size (MudBlazor 9).</summary>
    public static string ButtonClass(Variant variant, Color color, Size size = Size.Medium) =>
        ButtonClasses.GetOrAdd((variant, color, size), static key =>
        {
            var (variant, color, size) = key;
            var v = variant.ToString().ToLowerInvariant();
            var s = size.ToString().ToLowerInvariant();
            var c = color == Color.Default ? "" : $" mud-button-{v}-{color.ToString().ToLowerInvariant()}";
            return $"mud-button-root mud-button mud-button-{v}{c} mud-button-{v}-size-{s} mud-ripple";
        });

    /// <summary>MudButton's start icon: the icon's SVG path(s) (a MudBlazor <c>Icons</c> value) in its span and svg.</summary>
    public static MarkupString StartIcon(string icon, Size size = Size.Medium) =>
        StartIcons.GetOrAdd((icon, size), static key =>
        {
            var s = key.Item2.ToString().ToLowerInvariant();
            return (MarkupString)($"<span class=\"mud-button-icon-start mud-button-icon-size-{s}\">" +
                $"<svg class=\"mud-icon-root mud-svg-icon mud-icon-size-{s}\" focusable=\"false\" viewBox=\"0 0 24 24\" aria-hidden=\"true\">{key.Item1}</svg></span>");
        });
}
