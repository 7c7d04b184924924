// Blazor JS initializer (loaded by blazor.web.js because of its name): registers the message table's delegated
// 'rowaction' event (RowActionEventArgs.cs) before any circuit renders, so one handler on the table serves every
// row's Edit and History buttons.
export function beforeWebStart() {
    Blazor.registerCustomEventType("rowaction", {
        browserEventName: "click",
        createEventArgs: event => {
            const button = event.target instanceof Element ? event.target.closest("[data-action]") : null;
            const cell = button ? button.closest("tr")?.querySelector("[data-message-id]") : null;
            return {
                action: button && !button.disabled ? button.getAttribute("data-action") : null,
                messageId: cell ? cell.getAttribute("data-message-id") : null,
            };
        },
    });
}
