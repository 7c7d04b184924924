// LineBridge frame helpers: keep the portal's iframe as tall as our content, keep dialogs inside the part of the
// frame the user can see, copy to the clipboard (with a fallback for frames without clipboard permission), and tell
// the page its language and the browser's time zone.
(function () {
    let timer = null;

    function fit() {
        timer = null;
        const bx24 = window.BX24;
        if (bx24 && typeof bx24.fitWindow === "function") {
            try { bx24.fitWindow(); } catch (e) { /* outside a portal frame: nothing to resize */ }
        }
    }

    // At most one fitWindow per animation frame, however many renders happen in between, and in the frame right after
    // the render: the frame's size follows its content at once, so the page does not move under a pointer that is
    // about to click (a fit 150 ms late shrank the frame after the user aimed, and the click landed beside its target).
    function scheduleFit() {
        if (timer === null) {
            timer = requestAnimationFrame(fit);
        }
    }

    // The portal sizes its frame to our content, so the frame is often taller than the screen and a centred dialog
    // lands below what the user sees. A cross-origin frame cannot read the parent's scroll position, but an
    // IntersectionObserver without a root reports the part of an element inside the top-level viewport; a sentinel
    // covering the whole document thus tells which band of the frame is visible. Dialogs are placed in that band
    // (CSS variables --lb-visible-top and --lb-visible-height, used by linebridge.css).
    function watchVisibleBand() {
        if (!window.IntersectionObserver) return;
        const sentinel = document.createElement("div");
        sentinel.setAttribute("aria-hidden", "true");
        sentinel.style.cssText = "position:absolute;left:0;top:0;width:1px;height:100%;pointer-events:none;visibility:hidden";
        document.body.appendChild(sentinel);
        document.body.style.position = document.body.style.position || "relative";
        const thresholds = [];
        for (let i = 0; i <= 200; i++) thresholds.push(i / 200);
        const root = document.documentElement.style;
        new IntersectionObserver(entries => {
            const entry = entries[entries.length - 1];
            const band = entry.intersectionRect;
            if (!entry.isIntersecting || band.height <= 0) return;
            // Coordinates are the frame's own; position:fixed inside the frame uses the same ones.
            root.setProperty("--lb-visible-top", Math.max(0, band.top) + "px");
            root.setProperty("--lb-visible-height", Math.min(band.height, window.innerHeight) + "px");
        }, { threshold: thresholds }).observe(sentinel);
    }

    // A frame filled by a cross-site form POST gets no clipboard permission; execCommand('copy') on a selected
    // textarea still works there because it runs inside the user's click.
    function copyBySelection(text) {
        const area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.style.cssText = "position:fixed;top:0;left:0;width:1px;height:1px;opacity:0";
        document.body.appendChild(area);
        const previous = document.activeElement;
        area.select();
        let ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        area.remove();
        if (previous && typeof previous.focus === "function") previous.focus();
        return ok;
    }

    window.lineBridge = {
        fitFrame: scheduleFit,

        /** Copies text; true when it reached the clipboard. */
        copyText: async function (text) {
            if (navigator.clipboard && window.isSecureContext) {
                try {
                    await navigator.clipboard.writeText(text);
                    return true;
                } catch (e) { /* no permission in this frame: try the selection */ }
            }
            return copyBySelection(text);
        },

        /** Selects the text of a field (by data-testid inside an element) so the user can copy it by hand. */
        selectText: function (testId) {
            const host = document.querySelector('[data-testid="' + testId + '"]');
            if (!host) return;
            const field = host.matches("input,textarea") ? host : host.querySelector("input,textarea");
            if (field) {
                field.focus();
                field.select();
                return;
            }
            const range = document.createRange();
            range.selectNodeContents(host);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        },

        /** The page's language, for screen readers and spelling: set once the portal's language is known. */
        setLanguage: function (language) {
            if (language) document.documentElement.lang = language;
        },

        /** The browser's IANA time zone, used when the portal's user data gives none. */
        timeZone: function () {
            try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { return null; }
        },

        /**
         * Moves focus into the first field of an open dialog (else its first button), not the dialog's frame or its
         * close button. The dialog's own focus handling runs around the same time, so look again a few times while
         * it opens; focus the user moved to a control inside the dialog is left alone.
         */
        focusFirstField: function (testId) {
            const delays = [0, 50, 150, 300, 600];
            function attempt() {
                const dialog = document.querySelector('[data-testid="' + testId + '"]');
                if (!dialog) return;
                const content = dialog.querySelector(".mud-dialog-content") || dialog;
                const target = content.querySelector("textarea:not([disabled]),input:not([disabled]):not([type=hidden]),select:not([disabled])")
                    || content.querySelector("button:not([disabled]),[href],[tabindex]:not([tabindex='-1'])")
                    || dialog.querySelector(".mud-dialog-actions button:not([disabled])");
                const active = document.activeElement;
                const userMoved = active && active !== target && content.contains(active) && active.matches("input,textarea,select,button,a");
                if (target && !userMoved && active !== target) target.focus();
            }
            delays.forEach(d => setTimeout(attempt, d));
            return true;
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
        watchVisibleBand();
        scheduleFit();
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
