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
        // The focus trap keeps Tab inside the dialog but places no focus itself: its first child is the title's close
        // button (or the dialog's frame). Each dialog moves focus to its first field (DialogFocus); Esc closes it.
        DefaultFocus = DefaultFocus.None,
    };

    public static DialogOptions Wide { get; } = Options with { MaxWidth = MaxWidth.Large };
}
