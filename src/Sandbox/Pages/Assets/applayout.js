// Parent side of the BX24 postMessage protocol (protocol reference §10.1), as the portal's applayout does it.
// The child posts "{cmd}:{json}:{callbackId}:{APP_SID}"; we accept it only from the app's origin with our APP_SID,
// and answer "{callbackId}:{json}" to that origin.
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

  function reply(callbackId, result) {
    if (!callbackId) return;
    frame.contentWindow.postMessage(callbackId + ':' + JSON.stringify(result === undefined ? {} : result), config.appOrigin);
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

  function size(value) {
    if (typeof value === 'number') return value + 'px';
    if (typeof value === 'string' && /^[0-9]+$/.test(value)) return value + 'px';
    return value;
  }

  var handlers = {
    getInitData: function (args, callbackId) { reply(callbackId, config.initData); },
    refreshAuth: function (args, callbackId) {
      post(config.refreshUrl, { appSid: config.appSid }).then(function (auth) {
        config.initData.AUTH_ID = auth.AUTH_ID;
        config.initData.AUTH_EXPIRES = auth.AUTH_EXPIRES;
        config.initData.REFRESH_ID = auth.REFRESH_ID;
        reply(callbackId, auth);
      }, function (error) { note('refreshAuth failed: ' + error.message); });
    },
    resizeWindow: function (args, callbackId) {
      if (args && args.width) frame.style.width = size(args.width);
      if (args && args.height) frame.style.height = size(args.height);
      frame.setAttribute('data-height', String(frame.offsetHeight));
      reply(callbackId, { width: frame.offsetWidth, height: frame.offsetHeight });
    },
    setTitle: function (args, callbackId) {
      if (args && typeof args.title === 'string') {
        document.title = args.title;
        if (title) title.textContent = args.title;
      }
      reply(callbackId, args);
    },
    setInstallFinish: function (args) {
      post(config.installFinishUrl, { appSid: config.appSid, value: args && args.value === false ? 'N' : 'Y' }).then(function (result) {
        var url = new URL(window.location.href);
        url.searchParams.set('install_finished', result.installed ? 'Y' : 'N');
        window.location.assign(url.toString());
      }, function (error) { note('setInstallFinish failed: ' + error.message); });
    },
    reloadWindow: function () { window.location.reload(); },
    setScroll: function (args, callbackId) { reply(callbackId, args); },
    setInstall: function (args, callbackId) { reply(callbackId, args); },
    setUserOption: function (args, callbackId) { reply(callbackId, args); },
    setAppOption: function (args, callbackId) { reply(callbackId, args); }
  };

  window.addEventListener('message', function (event) {
    if (event.origin !== config.appOrigin || event.source !== frame.contentWindow) return;
    if (typeof event.data !== 'string') return;
    var parts = event.data.split(':');
    if (parts.length < 4) return;
    var sid = parts[parts.length - 1];
    var callbackId = parts[parts.length - 2];
    var command = parts[0];
    var json = parts.slice(1, parts.length - 2).join(':');
    if (sid !== config.appSid) return;
    var args;
    try { args = json ? JSON.parse(json) : {}; } catch (e) { args = {}; }
    note(command);
    var handler = handlers[command];
    if (handler) handler(args, callbackId);
    else reply(callbackId, {});
  });

  // The portal opens every app frame with a real form POST into the named iframe.
  document.getElementById('app-frame-form').submit();
})();
