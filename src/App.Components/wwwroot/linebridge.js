// LineBridge frame helpers: keep the portal's iframe as tall as our content, and copy to the clipboard.
(function () {
    const delayMs = 150;
    let timer = null;

    function fit() {
        timer = null;
        const bx24 = window.BX24;
        if (bx24 && typeof bx24.fitWindow === "function") {
            try { bx24.fitWindow(); } catch (e) { /* outside a portal frame: nothing to resize */ }
        }
    }

    // Throttled: at most one fitWindow per delay, however many renders happen in between.
    function scheduleFit() {
        if (timer === null) {
            timer = setTimeout(fit, delayMs);
        }
    }

    window.lineBridge = {
        fitFrame: scheduleFit,
        copyText: async function (text) {
            try {
                await navigator.clipboard.writeText(text);
                return true;
            } catch (e) {
                return false;
            }
        }
    };

    function start() {
        const bx24 = window.BX24;
        if (bx24 && typeof bx24.init === "function") {
            try { bx24.init(scheduleFit); } catch (e) { /* not framed by a portal */ }
        }
        // Blazor renders change the body's size; that is when the portal must hear the new height.
        if (window.ResizeObserver) {
            new ResizeObserver(scheduleFit).observe(document.body);
        }
        scheduleFit();
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
