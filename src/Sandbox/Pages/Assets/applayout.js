// Parent side of the BX24 postMessage protocol (protocol reference §10.1), as the portal's applayout.js does it
// (bitrix-core-business modules/rest/install/js/rest/applayout.js, receiveMessage and MessageInterface).
// The child posts either a string "{cmd}:{json}:{callbackId}:{APP_SID}" or, when the command name itself holds a ':',
// an object {method, params, callback, appSid}. A string is split the way the real `split` helper does: the first
// segment is the command, the last two are the callback id and APP_SID, and whatever lies between is the JSON
// arguments, so "getInitData:{callbackId}:{APP_SID}" (three segments, no arguments) is as valid as four. We accept a
// message only from the app's origin with our APP_SID, and answer "{callbackId}:{json}" to that origin. A command we
// do not know gets no answer at all, as on a real portal.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('frame-config').textContent);
  var frame = document.getElementById('app-frame');
  var log = document.getElementById('bx24-log');
  var title = document.getElementById('app-title');

  function note(text) {
    if (!log) return;
    var item = document.createElement('li');
    item.textContent = text;
    log.appendChild(item);
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString()
    }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    });
  }

  // The real split(s, ':'): [first, middle joined, second to last, last].
  function split(s) {
    var r = s.split(':');
    return [r[0], r.slice(1, r.length - 2).join(':'), r[r.length - 2], r[r.length - 1]];
  }

  // Commands of the common interface (MessageInterface). getInterface lists only what a placement adds on top of
  // these (the real code skips every command MessageInterfacePlacement inherits), and the events it can send; the
  // sandbox's DEFAULT and SETTING_CONNECTOR placements add none, so both lists are empty, as on a real portal's
  // main application page.
  var placementCommands = [];
  var placementEvents = [];

  var handlers = {
    getInitData: function (args, cb) {
      cb(config.initData);
      // The real portal reports FIRST_RUN once per page.
      config.initData.FIRST_RUN = false;
    },
    getInterface: function (args, cb) {
      cb({ command: placementCommands.slice(), event: placementEvents.slice() });
    },
    refreshAuth: function (args, cb) {
      post(config.refreshUrl, { appSid: config.appSid }).then(function (auth) {
        config.initData.AUTH_ID = auth.AUTH_ID;
        config.initData.AUTH_EXPIRES = auth.AUTH_EXPIRES;
        config.initData.REFRESH_ID = auth.REFRESH_ID;
        cb(auth);
      }, function (error) { note('refreshAuth failed: ' + error.message); });
    },
    resizeWindow: function (args, cb) {
      args = args || {};
      // As the real portal: width '100%' or an integer number of pixels (100 when unreadable), height in pixels.
      var width = args.width == '100%' ? '100%' : ((parseInt(args.width, 10) || 100) + 'px');
      var height = parseInt(args.height, 10);
      frame.style.width = width;
      if (height) frame.style.height = height + 'px';
      frame.setAttribute('data-height', String(frame.offsetHeight));
      frame.setAttribute('data-width', String(frame.offsetWidth));
      cb({ width: frame.offsetWidth, height: frame.offsetHeight });
    },
    setTitle: function (args, cb) {
      if (args && typeof args.title === 'string') {
        document.title = args.title;
        if (title) title.textContent = args.title;
      }
      cb(args);
    },
    setInstallFinish: function (args) {
      var value = args && args.value === false ? 'N' : 'Y';
      post(config.installFinishUrl, { appSid: config.appSid, value: value }).then(function (result) {
        var url = new URL(window.location.href);
        url.searchParams.set('install_finished', result.installed ? 'Y' : 'N');
        window.location.assign(url.toString());
      }, function (error) { note('setInstallFinish failed: ' + error.message); });
    },
    reloadWindow: function () { window.location.reload(); },
    setScroll: function (args, cb) {
      if (args && typeof args.scroll !== 'undefined' && args.scroll >= 0) window.scrollTo(window.scrollX, parseInt(args.scroll, 10));
      cb(args);
    },
    setInstall: function (args, cb) { cb(args); },
    setUserOption: function (args, cb) { cb(args); },
    // Only an administrator may set application options; others get no answer.
    setAppOption: function (args, cb) { if (config.initData.IS_ADMIN) cb(args); }
  };

  window.addEventListener('message', function (event) {
    if (event.origin !== config.appOrigin || event.source !== frame.contentWindow) return;
    var data = event.data, method, args = [], callbackId, sid;
    if (data && typeof data === 'object') {
      method = data.method;
      sid = data.appSid;
      callbackId = data.callback;
      args = data.params ? data.params : [];
    } else if (typeof data === 'string') {
      var cmd = split(data);
      method = cmd[0];
      callbackId = cmd[2];
      sid = cmd[3];
      if (cmd[1]) {
        try { args = JSON.parse(cmd[1]); } catch (e) { return; }
      }
    } else {
      return;
    }
    if (sid !== config.appSid) return;
    if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(handlers, method)) {
      note('unknown: ' + method);
      return;
    }
    note(method);
    var reply = !callbackId ? function () {} : function (result) {
      frame.contentWindow.postMessage(callbackId + ':' + (typeof result === 'undefined' ? '' : JSON.stringify(result)), config.appOrigin);
    };
    handlers[method](args, reply);
  });

  // The portal opens every app frame with a real form POST into the named iframe.
  document.getElementById('app-frame-form').submit();
})();
