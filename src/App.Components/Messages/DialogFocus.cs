using Microsoft.JSInterop;

namespace LineBridge.Components.Messages;

/// <summary>
/// Puts focus into a dialog's first field (else its first button) once it is on screen. MudBlazor's default focus
/// lands on the dialog's frame or its close button; a keyboard user should start where the work is.
/// </summary>
internal static class DialogFocus
{
    public static async Task FocusFirstFieldAsync(IJSRuntime js, string dialogTestId)
    {
        try
        {
            await js.InvokeAsync<bool>("lineBridge.focusFirstField", dialogTestId);
        }
        catch (JSException)
        {
            // Without our script the dialog keeps MudBlazor's focus, inside the dialog all the same.
        }
        catch (JSDisconnectedException)
        {
            // The user left; nothing to focus.
        }
    }
}
