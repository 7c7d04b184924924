using Microsoft.AspNetCore.Components;

namespace LineBridge.Components.Messages;

/// <summary>
/// A click on a row's action button in the message table (Edit, History), delivered by one handler on the table
/// rather than one per button: the buttons are then plain markup, shared by every row, and a page of 25 rows keeps
/// neither 50 event handlers nor their render-tree frames in its circuit. The browser side
/// (<c>LineBridge.Components.lib.module.js</c>) registers <c>rowaction</c> on <c>click</c> and fills the fields from the
/// clicked element's <c>data-action</c> and its row's <c>data-message-id</c>; clicks elsewhere in the table arrive with
/// no action and are ignored.
/// </summary>
public sealed class RowActionEventArgs : EventArgs
{
    /// <summary><c>edit</c> or <c>history</c>; null for a click that was not on an action button.</summary>
    public string? Action { get; set; }

    /// <summary>The row's message id (LineBridge's), null outside a row.</summary>
    public string? MessageId { get; set; }
}
