// `serve`'s sign-in over real sockets: a guesser is locked out while a user with a typo is not, each sign-in is its own
// session that expires and can be signed out alone (its WebSocket with it), and the cookie is Secure under TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppCore } from '../../core/app/app-core.ts';
import { coreDeps } from '../../core/app/core-deps.ts';
import { createDispatch, createHandlers } from '../../core/app/handlers.ts';
import { COOKIE_NAME, LoginLimiter, SessionStore } from '../../core/server/auth.ts';
import { startServer } from '../../core/server/server.ts';
import type { ServerOptions } from '../../core/server/server.ts';
import { tempDir } from '../helpers/tmp.ts';
import { closed, connect } from '../helpers/ws-client.ts';

type T = Parameters<typeof tempDir>[0];
const PASSWORD = 'correct horse battery';

async function serve(t: T, extra: Partial<ServerOptions> = {}) {
  const web = join(await tempDir(t), 'web');
  await mkdir(web);
  await writeFile(join(web, 'index.html'), '<!doctype html><title>NAS Mirror</title>');
  const core = await AppCore.start({ deps: coreDeps(), configDir: await tempDir(t), native: false, log: () => {}, coalesceMs: 1 });
  const server = await startServer({
    host: '127.0.0.1', port: 0, requireAuth: true, password: PASSWORD, staticRoot: web,
    dispatch: createDispatch(createHandlers(core)), events: core.events, log: () => {}, ...extra,
  });
  t.after(async () => { await server.close(); await core.shutdown(); });
  const scheme = extra.tls ? 'https' : 'http';
  return { server, origin: `${scheme}://127.0.0.1:${server.port}`, rpc: `${scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${server.port}/rpc` };
}

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One HTTP(S) request, redirects not followed; `ca` trusts a test certificate. */
function send(url: string, o: { method?: string; form?: Record<string, string>; cookie?: string; origin?: string; ca?: Buffer } = {}): Promise<Reply> {
  const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  if (o.cookie) headers.Cookie = o.cookie;
  if (o.origin) headers.Origin = o.origin;
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? (body ? 'POST' : 'GET'), headers, ...(o.ca ? { ca: o.ca } : {}) }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const login = (origin: string, password: string, ca?: Buffer) => send(`${origin}/login`, { form: { password }, ...(ca ? { ca } : {}) });

/** `name=value` of the Set-Cookie header, as a browser would send it back. */
function cookieOf(r: Reply): string {
  const set = r.headers['set-cookie'];
  assert.ok(set, `a Set-Cookie header (status ${r.status})`);
  return String(set).split(';')[0]!;
}

test('40 guesses in parallel: a few are checked, the rest are refused 429 with Retry-After, the right one included', async (t) => {
  // The limiter's clock stands still until the test moves it: a slow machine cannot let a lock run out mid-test.
  let now = Date.now();
  const { origin } = await serve(t, { loginLimiter: new LoginLimiter({ clock: () => now }) });
  const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => login(origin, `guess-${i}`)));
  const statuses = replies.map((r) => r.status);
  const checked = statuses.filter((s) => s === 401).length, refused = replies.filter((r) => r.status === 429);
  assert.equal(checked + refused.length, 40, `only 401 and 429: ${statuses.join(' ')}`);
  assert.ok(checked <= 4, `three free typos and the one that locks; ${checked} were checked`);
  for (const r of refused) {
    assert.ok(Number(r.headers['retry-after']) >= 1, `Retry-After: ${r.headers['retry-after']}`);
    assert.match(r.body, /Too many attempts; try again in \d+ s\./);
  }
  const locking = replies.find((r) => r.status === 401 && r.headers['retry-after'] !== undefined);
  assert.ok(locking, 'the failure that locks says so');
  assert.match(locking.body, /Wrong password\. Too many attempts; try again in 1 s\./);
  const right = await login(origin, PASSWORD);
  assert.equal(right.status, 429, 'while locked, not even the right password is looked at');
  assert.equal(right.headers['set-cookie'], undefined);
  now += Number(locking.headers['retry-after']) * 1000;
  assert.equal((await login(origin, PASSWORD)).status, 303, 'once the lock has run out, the right password signs in');
  assert.equal((await login(origin, 'one more typo')).headers['retry-after'], undefined, 'and clears the record');
});

test('a typo then the right password signs in at once; two sign-ins get two different session cookies', async (t) => {
  const { origin, server } = await serve(t);
  const typo = await login(origin, 'correct horse batery');
  assert.equal(typo.status, 401);
  assert.equal(typo.headers['retry-after'], undefined, 'one typo is not held against anyone');
  assert.match(typo.body, /Wrong password\./);
  const first = await login(origin, PASSWORD);
  assert.equal(first.status, 303);
  const second = await login(origin, PASSWORD);
  const [a, b] = [cookieOf(first), cookieOf(second)];
  assert.notEqual(a, b);
  for (const c of [a, b]) assert.ok(!c.endsWith(`=${server.token}`), 'the cookie is not the server-wide token');
  assert.match(String(first.headers['set-cookie']), new RegExp(`^${COOKIE_NAME}=[\\w-]{43}; HttpOnly; SameSite=Strict; Path=/$`), 'no Secure without TLS');
  for (const c of [a, b]) assert.equal((await send(`${origin}/`, { cookie: c })).status, 200);
  const viaToken = await send(`${origin}/?token=${server.token}`);
  assert.equal(viaToken.status, 303);
  assert.notEqual(cookieOf(viaToken), `${COOKIE_NAME}=${server.token}`, 'the token link is traded for a session too');
});

test('sign-out ends that session only: its open WebSocket closes and its cookie no longer upgrades', async (t) => {
  const { origin, rpc } = await serve(t);
  const [a, b] = [cookieOf(await login(origin, PASSWORD)), cookieOf(await login(origin, PASSWORD))];
  const wsA = await connect(rpc, { origin, headers: { cookie: a } });
  const wsB = await connect(rpc, { origin, headers: { cookie: b } });
  t.after(() => { wsA.close(); wsB.close(); });
  const signedIn = await send(`${origin}/login`, { cookie: a });
  assert.match(signedIn.body, /You are signed in\..*action="\/logout"/s, 'the sign-in page offers sign-out to the signed in');

  const forged = await send(`${origin}/logout`, { method: 'POST', cookie: a, origin: 'http://evil.example' });
  assert.equal(forged.status, 403, 'a cross-site sign-out is refused');
  assert.equal((await send(`${origin}/`, { cookie: a })).status, 200);

  const aClosed = closed(wsA.ws);
  const out = await send(`${origin}/logout`, { method: 'POST', cookie: a, origin });
  assert.equal(out.status, 303);
  assert.equal(out.headers.location, '/login');
  assert.match(String(out.headers['set-cookie']), new RegExp(`^${COOKIE_NAME}=; .*Max-Age=0`));
  assert.equal(await aClosed, 4401, 'the signed-out tab loses its live connection');
  await assert.rejects(connect(rpc, { origin, headers: { cookie: a } }), { status: 401 });
  const back = await send(`${origin}/`, { cookie: a });
  assert.equal(back.status, 303);
  assert.equal(back.headers.location, '/login?ended');
  assert.match((await send(`${origin}/login?ended`)).body, /Your session has ended; sign in again\./);

  assert.ok((await wsB.call('app.snapshot')).ok, 'the other session and its socket go on');
  const again = await connect(rpc, { origin, headers: { cookie: b } });
  assert.ok((await again.call('app.snapshot')).ok);
  again.close();
});

test('a session idle for 12 hours is over: back to the sign-in form, and no WebSocket', async (t) => {
  let now = Date.now();
  const { origin, rpc } = await serve(t, { sessions: new SessionStore({ clock: () => now }) });
  const cookie = cookieOf(await login(origin, PASSWORD));
  now += 11 * 60 * 60_000;
  assert.equal((await send(`${origin}/`, { cookie })).status, 200, 'used within 12 h');
  now += 12 * 60 * 60_000;
  const expired = await send(`${origin}/`, { cookie });
  assert.equal(expired.status, 303);
  assert.equal(expired.headers.location, '/login?ended');
  assert.match(String(expired.headers['set-cookie']), /Max-Age=0/, 'and the dead cookie is dropped');
  await assert.rejects(connect(rpc, { origin, headers: { cookie } }), { status: 401 });
});

const exec = promisify(execFile);

test('under TLS the session cookie is Secure, and so is the one that clears it', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  const made = await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']).then(() => true, () => false);
  if (!made) return t.skip('needs openssl to make a test certificate: apt-get install -y openssl');
  const ca = await readFile(cert);
  const { origin, rpc } = await serve(t, { tls: { cert: ca, key: await readFile(key) } });
  const signedIn = await login(origin, PASSWORD, ca);
  assert.equal(signedIn.status, 303);
  assert.match(String(signedIn.headers['set-cookie']), /; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
  const cookie = cookieOf(signedIn);
  const ws = await connect(rpc, { ca, origin, headers: { cookie } });
  assert.ok((await ws.call('app.snapshot')).ok);
  ws.close();
  const out = await send(`${origin}/logout`, { method: 'POST', cookie, origin, ca });
  assert.match(String(out.headers['set-cookie']), /Max-Age=0; Secure$/);
});
