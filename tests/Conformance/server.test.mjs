// The vendor SDK's server-side clients, B24OAuth and B24Hook (@bitrix24/b24jssdk, unmodified), against the sandbox
// portal. Each test is one check of what a new user of the SDK would do first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { B24OAuth, B24Hook, RefreshTokenError } from '@bitrix24/b24jssdk';
import { startSandbox, trustSandboxCertificate, tokens, oauthParams, faults } from './support/sandbox.mjs';

const CONNECTOR = 'sdk_conformance';
const ICON = { DATA_IMAGE: 'data:image/svg+xml;charset=US-ASCII,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E', COLOR: '#69acc0' };
let sandbox;

before(async () => {
  sandbox = await startSandbox({ host: '127.0.0.2' });
  await trustSandboxCertificate(sandbox);
});
after(async () => { await sandbox?.stop(); });

async function oauthClient(options) {
  const [params, secret] = oauthParams(sandbox, await tokens(sandbox));
  return new B24OAuth(params, secret, options);
}

async function call(b24, method, params = {}) {
  const response = await b24.actions.v2.call.make({ method, params });
  assert.ok(response.isSuccess, `${method}: ${response.getErrorMessages().join('; ')}`);
  return response.getData().result;
}

test('B24OAuth app.info names the seeded local application', async () => {
  const b24 = await oauthClient();
  const info = await call(b24, 'app.info');
  assert.equal(info.CODE, sandbox.clientId);
  assert.equal(info.STATUS, 'L');
});

test('B24OAuth user.current is the administrator', async () => {
  const b24 = await oauthClient();
  const user = await call(b24, 'user.current');
  assert.equal(user.ID, '1');
});

test('B24OAuth profile makes initIsAdmin true for the administrator', async () => {
  const b24 = await oauthClient();
  await b24.initIsAdmin();
  assert.equal(b24.auth.isAdmin, true);
});

test('list helpers callList and fetchList page over imopenlines.config.list.get', async () => {
  const b24 = await oauthClient();
  const all = await b24.actions.v2.callList.make({ method: 'imopenlines.config.list.get', params: { PARAMS: { select: ['ID', 'LINE_NAME'] } } });
  assert.ok(all.isSuccess, all.getErrorMessages().join('; '));
  assert.deepEqual(all.getData().map((l) => l.ID), ['1', '2', '3']);
  const pages = [];
  for await (const page of b24.actions.v2.fetchList.make({ method: 'imopenlines.config.list.get', params: {} })) pages.push(page);
  assert.deepEqual(pages.flat().map((l) => l.ID), ['1', '2', '3']);
});

test('connector lifecycle: register, activate, status, list', async () => {
  const b24 = await oauthClient();
  const registered = await call(b24, 'imconnector.register', { ID: CONNECTOR, NAME: 'SDK conformance', ICON, PLACEMENT_HANDLER: 'http://127.0.0.1:9/placement' });
  assert.deepEqual(registered, { result: true });
  assert.equal(await call(b24, 'imconnector.activate', { CONNECTOR, LINE: 1, ACTIVE: 1 }), true);
  const status = await call(b24, 'imconnector.status', { CONNECTOR, LINE: 1 });
  assert.equal(status.STATUS, true);
  assert.equal(status.CONFIGURED, true);
  const list = await call(b24, 'imconnector.list');
  assert.equal(list[CONNECTOR], 'SDK conformance');
});

test('send, update and delete with the official imconnector.update.messages example payload', async () => {
  const b24 = await oauthClient();
  await call(b24, 'imconnector.register', { ID: CONNECTOR, NAME: 'SDK conformance', ICON, PLACEMENT_HANDLER: 'http://127.0.0.1:9/placement' });
  await call(b24, 'imconnector.activate', { CONNECTOR, LINE: 1, ACTIVE: 1 });
  const element = (text) => ({
    user: { id: 'user-42', name: 'John', last_name: 'Smith' },
    message: { id: 'ext-msg-1001', date: Math.floor(Date.now() / 1000), text },
    chat: { id: 'channel-123', name: 'Support chat', url: 'https://example.com/chat/123' },
  });
  const sent = await call(b24, 'imconnector.send.messages', { CONNECTOR, LINE: 1, MESSAGES: [element('Hello from the SDK')] });
  assert.equal(sent.SUCCESS, true);
  assert.equal(sent.DATA.RESULT[0].SUCCESS, true);
  assert.match(sent.DATA.RESULT[0].session.CHAT_ID, /^[0-9]+$/);
  const updated = await call(b24, 'imconnector.update.messages', { CONNECTOR, LINE: 1, MESSAGES: [element('Updated message text')] });
  assert.equal(updated.DATA.RESULT[0].SUCCESS, true);
  assert.equal(updated.DATA.RESULT[0].message.text, 'Updated message text');
  assert.match(updated.DATA.RESULT[0].chat.description, /https:\/\/example\.com\/chat\/123/);
  const deleted = await call(b24, 'imconnector.delete.messages', { CONNECTOR, LINE: 1, MESSAGES: [{ user: { id: 'user-42' }, message: { id: 'ext-msg-1001' }, chat: { id: 'channel-123' } }] });
  assert.equal(deleted.DATA.RESULT[0].SUCCESS, true);
});

test('batch as an array with a failing command, halt off', async () => {
  const b24 = await oauthClient();
  const response = await b24.actions.v2.batch.make({
    calls: [['user.current', {}], ['imopenlines.config.get', { CONFIG_ID: 0 }], ['imopenlines.config.get', { CONFIG_ID: 2 }]],
    options: { isHaltOnError: false, returnAjaxResult: true },
  });
  const results = response.getData();
  assert.equal(results[0].getData().result.ID, '1');
  assert.equal(results[1].isSuccess, false);
  assert.match(results[1].getErrorMessages().join(';'), /Config ID/i);
  assert.equal(results[2].getData().result.ID, '2');
});

test('batch as an object with a $result reference the SDK URL-encodes', async () => {
  const b24 = await oauthClient();
  const response = await b24.actions.v2.batch.make({
    calls: {
      lines: { method: 'imopenlines.config.list.get', params: { PARAMS: { limit: 1 } } },
      byRef: { method: 'imopenlines.config.get', params: { CONFIG_ID: '$result[lines][0][ID]' } },
    },
    options: { isHaltOnError: true, returnAjaxResult: true },
  });
  assert.ok(response.isSuccess, response.getErrorMessages().join('; '));
  assert.equal(response.getData().byRef.getData().result.ID, '1');
});

test('refresh after a forced expiry: the SDK refreshes at the OAuth server and retries', async () => {
  const b24 = await oauthClient();
  const before = b24.auth.getAuthData().access_token;
  await faults(sandbox, { expireTokens: true });
  const user = await call(b24, 'user.current');
  assert.equal(user.ID, '1');
  assert.notEqual(b24.auth.getAuthData().access_token, before);
});

test('a used refresh token is refused with invalid_grant', async () => {
  const [params, secret] = oauthParams(sandbox, await tokens(sandbox));
  const first = new B24OAuth(params, secret);
  const second = new B24OAuth({ ...params }, secret);
  await first.auth.refreshAuth();
  await assert.rejects(second.auth.refreshAuth(), (error) => error instanceof RefreshTokenError && error.code === 'invalid_grant');
});

test('a burst past the bucket: the SDK meets 503 QUERY_LIMIT_EXCEEDED and recovers', async () => {
  // The SDK would otherwise pace itself to the documented bucket (50, 2/s) and never overflow it.
  const b24 = await oauthClient({ restrictionParams: { rateLimit: { burstLimit: 500, drainRate: 2, adaptiveEnabled: true }, maxRetries: 8 } });
  const calls = Array.from({ length: 56 }, () => b24.actions.v2.call.make({ method: 'user.current', params: {} }));
  const results = await Promise.all(calls);
  assert.ok(results.every((r) => r.isSuccess), results.filter((r) => !r.isSuccess).map((r) => r.getErrorMessages().join(';')).join(' | '));
  const stats = b24.getHttpClient ? b24.getHttpClient('v2')?.getStats?.() : undefined;
  if (stats) assert.ok(stats.limitHits > 0, 'the SDK should have met the bucket limit');
  const calls503 = await (await fetch(new URL('/_sandbox/calls', sandbox.portal))).json();
  assert.ok(calls503.some((c) => c.status === 503 && c.error === 'QUERY_LIMIT_EXCEEDED'), 'the sandbox should have answered 503 at least once');
});

test('B24Hook over HTTPS calls user.current, and is refused app-only methods', async () => {
  const hook = B24Hook.fromWebhookUrl(sandbox.webhook);
  const user = await call(hook, 'user.current');
  assert.equal(user.ID, '1');
  const refused = await hook.actions.v2.call.make({ method: 'imconnector.list', params: {} }).catch((error) => error);
  const code = refused?.code ?? refused?.getErrors?.().next?.().value?.code;
  assert.match(String(code ?? JSON.stringify(refused)), /WRONG_AUTH_TYPE/);
});
