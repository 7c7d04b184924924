/*
 * LineBridge's own implementation of the child side of the Bitrix24 frame protocol (BX24, protocol reference §10).
 * The portal names the frame "DOMAIN|PROTOCOL|APP_SID"; we talk to the parent with postMessage strings
 * "cmd:json:callbackId:APP_SID" sent to the portal's origin, and accept replies "callbackId:json" only from it.
 * Outside a portal frame every call is a harmless no-op (init still runs its callbacks, with no portal data).
 */
(function (global) {
    'use strict';

    var frame = parseFrameName(global.name);
    var inFrame = !!frame && global.parent && global.parent !== global;
    var parentOrigin = inFrame ? (frame.protocol === '1' ? 'https://' : 'http://') + frame.domain : null;
    var callbacks = {};
    var nextId = 1;
    var initData = null;
    var initQueue = [];
    var initRequested = false;

    function parseFrameName(name) {
        if (typeof name !== 'string') return null;
        var parts = name.split('|');
        if (parts.length < 3 || !parts[0] || !parts[2]) return null;
        // The portal may name the default port; the origin a browser reports never does.
        var domain = parts[0].replace(/:(80|443)$/, '');
        return { domain: domain, protocol: parts[1], appSid: parts[2] };
    }

    function send(cmd, params, callback) {
        if (!inFrame) return false;
        var id = '';
        if (typeof callback === 'function') {
            id = 'lb' + (nextId++);
            callbacks[id] = callback;
        }
        var json = params === undefined || params === null ? '' : JSON.stringify(params);
        global.parent.postMessage(cmd + ':' + json + ':' + id + ':' + frame.appSid, parentOrigin);
        return true;
    }

    global.addEventListener('message', function (event) {
        if (!inFrame || event.origin !== parentOrigin || typeof event.data !== 'string') return;
        var colon = event.data.indexOf(':');
        if (colon < 0) return;
        var id = event.data.substring(0, colon);
        var callback = callbacks[id];
        if (!callback) return;
        delete callbacks[id];
        var payload = event.data.substring(colon + 1);
        var data;
        try { data = payload ? JSON.parse(payload) : undefined; } catch (e) { data = payload; }
        callback(data);
    });

    function runInitQueue() {
        var queue = initQueue;
        initQueue = [];
        for (var i = 0; i < queue.length; i++) {
            try { queue[i](); } catch (e) { if (global.console) global.console.error(e); }
        }
    }

    function applyAuth(data) {
        if (!initData || !data) return;
        if (data.AUTH_ID) initData.AUTH_ID = data.AUTH_ID;
        if (data.REFRESH_ID) initData.REFRESH_ID = data.REFRESH_ID;
        if (data.AUTH_EXPIRES) initData.AUTH_EXPIRES = data.AUTH_EXPIRES;
        initData.AUTH_EXPIRES_AT = Date.now() + (parseInt(initData.AUTH_EXPIRES, 10) || 0) * 1000;
    }

    var BX24 = {
        /** Runs callback once the portal has told the frame who it is (getInitData). */
        init: function (callback) {
            if (typeof callback === 'function') initQueue.push(callback);
            if (initData || !inFrame) {
                setTimeout(runInitQueue, 0);
                return;
            }
            if (initRequested) return;
            initRequested = true;
            send('getInitData', null, function (data) {
                initData = data || {};
                applyAuth(initData);
                runInitQueue();
            });
        },

        /** Tells the portal the install finished; it then reloads its page. No-op when not installing. */
        installFinish: function () {
            if (!inFrame) return false;
            if (initData && (initData.INSTALL === false || initData.INSTALL === 'N' || initData.INSTALL === 0)) return false;
            return send('setInstallFinish', {}, null);
        },

        resizeWindow: function (width, height, callback) {
            if (!(width > 0 || width === '100%') || !(height > 0)) return false;
            return send('resizeWindow', { width: width, height: height }, callback);
        },

        /** Full width, height of the document. */
        fitWindow: function (callback) {
            var height = Math.max(global.document.documentElement.scrollHeight, global.document.body ? global.document.body.scrollHeight : 0);
            return send('resizeWindow', { width: '100%', height: height }, callback);
        },

        /** Asks the portal for a fresh user token. */
        refreshAuth: function (callback) {
            return send('refreshAuth', null, function (data) {
                applyAuth(data);
                if (typeof callback === 'function') callback(BX24.getAuth());
            });
        },

        /** {access_token, refresh_token, expires_in (ms epoch), domain, member_id}, or false. */
        getAuth: function () {
            if (!initData || !initData.AUTH_ID || initData.AUTH_EXPIRES_AT <= Date.now()) return false;
            return {
                access_token: initData.AUTH_ID,
                refresh_token: initData.REFRESH_ID,
                expires_in: initData.AUTH_EXPIRES_AT,
                domain: initData.DOMAIN || (frame && frame.domain),
                member_id: initData.MEMBER_ID
            };
        },

        isAdmin: function () {
            return !!initData && (initData.IS_ADMIN === true || initData.IS_ADMIN === 'Y' || initData.IS_ADMIN === 1);
        },

        getLang: function () { return initData ? initData.LANG : undefined; },

        getDomain: function () { return initData ? initData.DOMAIN : (frame ? frame.domain : undefined); },

        placement: {
            info: function () {
                if (!initData) return { placement: undefined, options: {} };
                var options = initData.PLACEMENT_OPTIONS;
                if (typeof options === 'string') {
                    try { options = options ? JSON.parse(options) : {}; } catch (e) { options = {}; }
                }
                return { placement: initData.PLACEMENT || 'DEFAULT', options: options || {} };
            }
        },

        /** True inside a portal frame whose name carries DOMAIN|PROTOCOL|APP_SID. */
        isInFrame: function () { return inFrame; }
    };

    global.BX24 = BX24;
})(window);
