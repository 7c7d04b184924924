// The vendor SDK's B24Frame (@bitrix24/b24jssdk UMD build, unmodified) inside the sandbox portal's app page, in
// Debian's Chromium driven by playwright-core (no browser is ever downloaded). A small app on 127.0.0.1 serves the page
// the portal frames cross-site; each test runs one step of what a new app does in its frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSandbox, faults } from './support/sandbox.mjs';

const require = createRequire(import.meta.url);
const sdkPath = path.join(path.dirname(require.resolve('@bitrix24/b24jssdk/package.json')), 'dist', 'umd', 'index.min.js');
const APP_PAGE = '<!doctype html><meta charset="utf-8"><title>SDK frame</title><p id="app">vendor SDK frame</p><script src="/sdk.js"></script>';

let sandbox, app, appOrigin, browser, page;

before(async () => {
  sandbox = await startSandbox({ host: '127.0.0.3' });
  const sdk = await readFile(sdkPath);
  app = http.createServer((request, response) => {
    if (request.url === '/sdk.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      response.end(sdk);
      return;
    }
    // The portal opens the frame with a form POST (install page, then handler); the body is not needed here.
    request.resume();
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(APP_PAGE);
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${app.address().port}`;
  // Point the local application at our page, as an administrator does in Developer resources.
  const saved = await fetch(new URL('/devops/local-app/', sandbox.portal), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ handler: `${appOrigin}/placement`, install: `${appOrigin}/install`, scopes: 'imopenlines,placement,im,imconnector' }),
  });
  assert.equal(saved.status, 200);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await (await browser.newContext()).newPage();
  await page.goto(new URL('/marketplace/app/local/', sandbox.portal).toString());
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (app ? app.close(resolve) : resolve()));
  await sandbox?.stop();
});

/** The app's frame once its page (and the SDK) loaded. */
async function appFrame() {
  for (;;) {
    const frame = page.frames().find((f) => f.url().startsWith(appOrigin));
    if (frame) {
      await frame.waitForFunction(() => typeof globalThis.B24Js !== 'undefined', null, { timeout: 30_000 });
      return frame;
    }
    await page.waitForEvent('framenavigated', { timeout: 30_000 });
  }
}

test('B24Frame initialises inside the portal frame (install page)', async () => {
  const frame = await appFrame();
  const init = await frame.evaluate(async () => {
    globalThis.b24 = await globalThis.B24Js.initializeB24Frame();
    return { install: globalThis.b24.isInstallMode, placement: globalThis.b24.placement.placement, lang: globalThis.b24.getLang() };
  });
  assert.deepEqual(init, { install: true, placement: 'DEFAULT', lang: 'en' });
});

test('B24Frame auth data names the portal and its member id', async () => {
  const auth = await (await appFrame()).evaluate(() => globalThis.b24.auth.getAuthData());
  assert.match(auth.access_token, /^[0-9a-f]{64}$/);
  assert.equal(auth.domain, sandbox.portal.origin);
  assert.equal(auth.member_id, sandbox.memberId);
});

test('REST from the frame: user.current', async () => {
  const id = await (await appFrame()).evaluate(async () => (await globalThis.b24.actions.v2.call.make({ method: 'user.current', params: {} })).getData().result.ID);
  assert.equal(id, '1');
});

test('refreshAuth through the parent gives a new working token', async () => {
  const frame = await appFrame();
  const [before, after] = await frame.evaluate(async () => {
    const old = globalThis.b24.auth.getAuthData().access_token;
    const fresh = await globalThis.b24.auth.refreshAuth();
    return [old, fresh.access_token];
  });
  assert.notEqual(after, before);
  const id = await frame.evaluate(async () => (await globalThis.b24.actions.v2.call.make({ method: 'user.current', params: {} })).getData().result.ID);
  assert.equal(id, '1');
});

test('a forced expiry is recovered through the parent', async () => {
  const frame = await appFrame();
  const before = await frame.evaluate(() => globalThis.b24.auth.getAuthData().access_token);
  await faults(sandbox, { expireTokens: true });
  const id = await frame.evaluate(async () => {
    const response = await globalThis.b24.actions.v2.call.make({ method: 'user.current', params: {} });
    return response.isSuccess ? response.getData().result.ID : response.getErrorMessages().join('; ');
  });
  assert.equal(id, '1');
  assert.notEqual(await frame.evaluate(() => globalThis.b24.auth.getAuthData().access_token), before);
});

test('getInterface answers the command and event lists', async () => {
  const answer = await (await appFrame()).evaluate(() => globalThis.b24.placement.getInterface());
  // isSafely would resolve {isSafely: true} after 900 ms without an answer; the portal's answer is the lists.
  assert.deepEqual(answer, { command: [], event: [] });
});

test('resizeWindow sets the frame size in the portal page', async () => {
  const answer = await (await appFrame()).evaluate(() => globalThis.b24.parent.resizeWindow(640, 480));
  assert.equal(answer.height, 480);
  assert.equal(await page.locator('#app-frame').getAttribute('data-height'), '480');
});

test('fitWindow sizes the frame to the document', async () => {
  const frame = await appFrame();
  const answer = await frame.evaluate(() => globalThis.b24.parent.fitWindow());
  assert.equal(answer.isSafely, undefined);
  const expected = await frame.evaluate(() => globalThis.b24.parent.getScrollSize().scrollHeight);
  assert.equal(answer.height, expected);
  assert.equal(await page.locator('#app-frame').getAttribute('data-height'), String(expected));
});

test('setTitle shows the title in the portal', async () => {
  const answer = await (await appFrame()).evaluate(() => globalThis.b24.parent.setTitle('Vendor SDK: frame'));
  assert.deepEqual(answer, { title: 'Vendor SDK: frame' });
  assert.equal(await page.locator('#app-title').textContent(), 'Vendor SDK: frame');
});

test('installFinish reloads the portal page with install_finished=Y', async () => {
  const frame = await appFrame();
  // The portal answers setInstallFinish with a reload, not a message, so the promise is not awaited.
  await frame.evaluate(() => { globalThis.b24.installFinish(); });
  await page.waitForURL(/install_finished=Y/, { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid="frame-mode"]').textContent(), 'handler');
});

test('installFinish is refused once installed', async () => {
  const frame = await appFrame();
  const result = await frame.evaluate(async () => {
    globalThis.b24 = await globalThis.B24Js.initializeB24Frame();
    const refused = await globalThis.b24.installFinish().then(() => 'accepted', (error) => error.code);
    return { install: globalThis.b24.isInstallMode, refused };
  });
  assert.deepEqual(result, { install: false, refused: 'JSSDK_FRAME_INSTALL_ALREADY_FINISHED' });
});
