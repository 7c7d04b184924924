// Starts the LineBridge sandbox portal (the built src/Sandbox, unmodified by these tests) as a child process on
// loopback, reads its banner, and stops it when the test file ends. Build it once beforehand (`dotnet build
// src/Sandbox`; `.ci/run` does); every test file gets its own sandbox, so files cannot disturb each other.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const defaultDll = path.join(repo, 'src', 'Sandbox', 'bin', 'Debug', 'net10.0', 'LineBridge.Sandbox.dll');

const running = new Set();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

/** Starts a sandbox portal on `host` (a 127.x.y.z address), with an HTTPS listener beside its HTTP one. */
export async function startSandbox({ host = '127.0.0.2' } = {}) {
  const dll = process.env.SANDBOX_DLL || defaultDll;
  if (!existsSync(dll)) throw new Error(`The sandbox is not built (${dll} is missing): run \`dotnet build src/Sandbox\` first.`);
  const child = spawn('dotnet', [dll, '--urls', `http://${host}:0;https://${host}:0`], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const banner = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The sandbox did not start within 60 s:\n${output}`)), 60_000);
    const read = (chunk) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl+C')) { clearTimeout(timer); resolve(output); }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`The sandbox exited with ${code}:\n${output}`)); });
  });
  const field = (name) => {
    const match = banner.match(new RegExp(`^\\s*${name}:\\s+(\\S+)`, 'm'));
    if (!match) throw new Error(`No "${name}" in the sandbox banner:\n${banner}`);
    return match[1];
  };
  const sandbox = {
    portal: new URL(field('portal')),
    https: new URL(field('https')),
    webhook: field('webhook'),
    oauth: new URL(field('OAuth server')),
    memberId: field('member_id'),
    clientId: field('client_id'),
    clientSecret: field('client_secret'),
    async stop() {
      running.delete(child);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
  sandbox.domain = sandbox.portal.host;
  return sandbox;
}

/** Trusts the sandbox's generated certificate for every HTTPS request of this process (axios uses the global agent). */
export async function trustSandboxCertificate(sandbox) {
  const response = await fetch(new URL('/_sandbox/certificate', sandbox.portal));
  if (!response.ok) throw new Error(`No certificate: HTTP ${response.status}`);
  https.globalAgent.options.ca = await response.text();
}

/** Fresh tokens of the seeded app for a user, from the sandbox's inspection surface. */
export async function tokens(sandbox, user = 1) {
  const response = await fetch(new URL(`/_sandbox/token?user=${user}`, sandbox.portal));
  if (!response.ok) throw new Error(`No token: HTTP ${response.status}`);
  return response.json();
}

/** B24OAuth's constructor arguments for a token answer of the sandbox. */
export function oauthParams(sandbox, token) {
  return [
    {
      applicationToken: '',
      userId: token.user_id,
      memberId: token.member_id,
      accessToken: token.access_token,
      refreshToken: token.refresh_token,
      expires: Math.floor(Date.now() / 1000) + Number(token.expires_in),
      expiresIn: Number(token.expires_in),
      scope: 'imopenlines,placement,im,imconnector',
      domain: sandbox.domain,
      clientEndpoint: new URL('/rest/', sandbox.portal).toString(),
      serverEndpoint: new URL('/rest/', sandbox.oauth).toString(),
      status: 'L',
    },
    { clientId: sandbox.clientId, clientSecret: sandbox.clientSecret },
  ];
}

/** Sets (or clears, with null) the sandbox's fault injection. */
export async function faults(sandbox, body) {
  const response = await fetch(new URL('/_sandbox/faults', sandbox.portal), body === null
    ? { method: 'DELETE' }
    : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`Faults refused: HTTP ${response.status}`);
}
