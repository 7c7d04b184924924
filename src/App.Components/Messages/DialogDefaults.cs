using MudBlazor;

namespace LineBridge.Components.Messages;

/// <summary>Dialogs close with Esc and have a close button, so they are usable from the keyboard alone.</summary>
internal static class DialogDefaults
{
    public static DialogOptions Options { get; } = new()
    {
        CloseOnEscapeKey = true,
        CloseButton = true,
        MaxWidth = MaxWidth.Medium,
        FullWidth = true,
        BackdropClick = false,
        // Focus starts inside the dialog (its focus trap keeps Tab there); Esc closes it.
        DefaultFocus = DefaultFocus.FirstChild,
    };

    public static DialogOptions Wide { get; } = Options with { MaxWidth = MaxWidth.Large };
}
