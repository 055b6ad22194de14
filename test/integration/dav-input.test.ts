// What the share refuses, and that refusing changes nothing: malformed paths and bodies, a full mirror, wrong
// passwords (slowed down by the login limiter), other origins and hosts, no mirror open, a LAN bind without password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventHub } from '../../core/app/event-hub.ts';
import type { Dispatch } from '../../core/app/handlers.ts';
import { LoginLimiter } from '../../core/server/auth.ts';
import { DavService } from '../../core/server/dav/dav-route.ts';
import { startServer } from '../../core/server/server.ts';
import { basic, davMirror, davServer, send, XML } from '../helpers/dav.ts';
import { snapshot, text } from '../helpers/engine.ts';
import { tempDir } from '../helpers/tmp.ts';

test('bad input is refused with a reason, the server stays up, and the mirror is unchanged', async (t) => {
  const { m, A, B } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  await m.mkdir('docs');
  await m.writeFile('docs/a.txt', 'a');
  await m.drain();
  const before = [await snapshot(A), await snapshot(B)];

  const cases: [string, string, number | RegExp, Parameters<typeof s.req>[2]?][] = [
    ['GET', '/dav/docs/%2e%2e/%2e%2e/etc/passwd', 400],
    ['PUT', '/dav/docs/..%2fescape.txt', 400, { body: 'x' }],
    ['PUT', '/dav/docs%2fa.txt', 400, { body: 'x' }],
    ['PUT', '/dav/docs/nul%00.txt', 400, { body: 'x' }],
    ['GET', '/dav/docs/bad%zzescape', 400],
    ['DELETE', '/dav/docs/a.txt#fragment', 400],
    ['PUT', `/dav/docs/${'n'.repeat(300)}.txt`, 403, { body: 'x' }],
    ['MKCOL', '/dav/docs//twice', 400],
    ['PROPFIND', '/dav/', 403, { headers: { Depth: 'infinity' } }],
    ['PROPFIND', '/dav/docs/', 413, { headers: { Depth: '1', ...XML }, body: Buffer.alloc(10 << 20, 'a') }],
    ['PROPFIND', '/dav/docs/', 400, { headers: { Depth: '1', ...XML }, body: '<propfind xmlns="DAV:"><allprop/>' }],
    ['PROPPATCH', '/dav/docs/a.txt', 400, { headers: XML, body: '<<<' }],
    ['PUT', '/dav/docs/a.txt', 400, { body: 'x', headers: { 'Content-Range': 'bytes 0-0/9' } }],
    ['MOVE', '/dav/docs/a.txt', 400, {}],
    ['MOVE', '/dav/docs/a.txt', 400, { headers: { Destination: '/dav/docs/b.txt', Overwrite: 'maybe' } }],
    // URL resolution folds the encoded dots: the Destination is outside the share (RFC 4918 §9.9.4: 502).
    ['MOVE', '/dav/docs/a.txt', 502, { headers: { Destination: '/dav/docs/%2e%2e/%2e%2e/x' } }],
    ['MOVE', '/dav/docs/a.txt', 400, { headers: { Destination: '/dav/docs/x%2fy' } }],
    ['COPY', '/dav/docs/a.txt', 502, { headers: { Destination: 'http://other.example/dav/x' } }],
    ['DELETE', '/dav/docs/a.txt', 415, { body: '<x/>', headers: XML }],
    ['POST', '/dav/docs/a.txt', 405, { body: 'x' }],
    ['REPORT', '/dav/docs/a.txt', 501],
  ];
  for (const [method, path, want, o] of cases) {
    const r = await s.req(method, path, o);
    assert.equal(r.status, want, `${method} ${path.slice(0, 60)}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.ok(r.text.trim().length > 0 || method === 'HEAD', `${method} ${path.slice(0, 60)} says why`);
  }
  // Over-long names are refused with the engine's reason.
  assert.match((await s.req('PUT', `/dav/${'n'.repeat(300)}`, { body: 'x' })).text, /longer than 255 bytes/);
  // A 10 MiB body nobody reads: the connection is closed after the refusal, and the next one is served.
  assert.equal((await s.req('GET', '/dav/docs/a.txt')).text, 'a');
  await s.dav.idle();
  await m.drain();
  assert.deepEqual([await snapshot(A), await snapshot(B)], before, 'nothing was changed by any refused request');
});

test('a path through a symbolic link inside a member is refused, never followed', async (t) => {
  const { m, A } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  const outside = await tempDir(t);
  await writeFile(join(outside, 'secret.txt'), 'outside the mirror');
  await symlink(outside, join(A, 'link'));
  for (const r of [await s.req('GET', '/dav/link/secret.txt'), await s.req('PROPFIND', '/dav/link/', { headers: { Depth: '1' } })]) {
    assert.equal(r.status, 404, r.text);
    assert.doesNotMatch(r.text, /outside the mirror/);
  }
  const put = await s.req('PUT', '/dav/link/planted.txt', { body: 'x' });
  assert.ok(put.status === 403 || put.status === 409, `${put.status} ${put.text}`);
  assert.deepEqual(await readdir(outside), ['secret.txt'], 'nothing was written through the link');
  assert.doesNotMatch((await s.req('PROPFIND', '/dav/', { headers: { Depth: '1' } })).text, /link/, 'links are not listed');
});

test('PUT onto a full mirror is a 507 that says so, and leaves nothing; the old version stays', async (t) => {
  const { m, fastFs, usbFs } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  assert.equal((await s.req('PUT', '/dav/old.bin', { body: 'old' })).status, 201);
  await m.drain();
  for (const fs of [fastFs, usbFs]) fs.options.fullAfterBytes = fs.written + 64 * 1024;
  for (const path of ['/dav/old.bin', '/dav/new.bin']) {
    const r = await s.req('PUT', path, { body: randomBytes(1 << 20) });
    assert.equal(r.status, 507, r.text);
    assert.match(r.text, /full/);
  }
  for (const fs of [fastFs, usbFs]) fs.options.fullAfterBytes = undefined;
  assert.equal(text(await m.readFile('old.bin')), 'old');
  await assert.rejects(m.stat('new.bin'), { code: 'ENOTFOUND' });
});

test('Basic auth: user nas and the password; wrong ones ×100 are slowed down (429), the right one works once the lock ends', async (t) => {
  const { m } = await davMirror(t);
  let now = 1_000_000;
  const limiter = new LoginLimiter({ clock: () => now });
  const s = await davServer(t, { mirror: m, password: 'open sesame', limiter });
  const noAuth = await s.req('PROPFIND', '/dav/', { headers: { Depth: '0' }, auth: '' });
  assert.equal(noAuth.status, 401);
  assert.match(String(noAuth.headers['www-authenticate']), /^Basic realm="NAS Mirror"/);
  assert.equal((await s.req('OPTIONS', '/dav/', { auth: '' })).status, 200, 'OPTIONS needs no sign-in');
  assert.equal((await s.req('PROPFIND', '/dav/', { headers: { Depth: '0' } })).status, 207);
  assert.equal((await s.req('PROPFIND', '/dav/', { headers: { Depth: '0' }, auth: basic('admin', 'open sesame') })).status, 401, 'only user nas');

  const statuses = new Map<number, number>();
  for (let i = 0; i < 100; i++) {
    const r = await s.req('PUT', `/dav/guess-${i}.txt`, { body: 'x', auth: basic('nas', `guess ${i}`) });
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (r.status === 429) assert.ok(Number(r.headers['retry-after']) >= 1);
  }
  t.diagnostic(`100 wrong passwords: ${[...statuses].map(([k, v]) => `${v}× ${k}`).join(', ')}`);
  // The "admin" attempt above was the first failure: two more are free, the next locks the client out.
  assert.equal(statuses.get(401), 3, 'three free failures, then the fourth locks the client out');
  assert.equal(statuses.get(429), 97, 'while locked out, guesses are not even checked');
  // Locked out: even the right password waits (it is not looked at), as on the login form.
  assert.equal((await s.req('PROPFIND', '/dav/', { headers: { Depth: '0' } })).status, 429);
  now += 60_000;
  assert.equal((await s.req('PROPFIND', '/dav/', { headers: { Depth: '0' } })).status, 207);
  assert.deepEqual(await m.readdir(''), [], 'no guess wrote anything');
});

test('no CORS, no cross-site requests, Host checked on loopback; no mirror open is a 503 that says so', async (t) => {
  let open: Awaited<ReturnType<typeof davMirror>>['m'] | null = null;
  const s = await davServer(t, { mirror: () => open });
  const none = await s.req('PROPFIND', '/dav/', { headers: { Depth: '0' } });
  assert.equal(none.status, 503);
  assert.match(none.text, /No mirror is open/);
  open = (await davMirror(t)).m;
  assert.equal((await s.req('PROPFIND', '/dav/', { headers: { Depth: '0' } })).status, 207);
  const cross = await s.req('PUT', '/dav/x.txt', { body: 'x', headers: { Origin: 'https://evil.example' } });
  assert.equal(cross.status, 403);
  assert.equal(cross.headers['access-control-allow-origin'], undefined);
  assert.equal((await s.req('PUT', '/dav/x.txt', { body: 'x', headers: { Host: 'rebound.example:80' } })).status, 421);
  const preflight = await s.req('OPTIONS', '/dav/', { headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'DELETE' } });
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  assert.deepEqual(await open.readdir(''), []);
});

test('a LAN bind without a password never serves the share', async (t) => {
  const dav = await DavService.create({ mirror: () => null, stateDir: await tempDir(t), enabled: true });
  const noDispatch = (async () => ({ ok: false })) as unknown as Dispatch;
  await assert.rejects(
    startServer({ host: '0.0.0.0', port: 0, staticRoot: '/nonexistent', dispatch: noDispatch, events: new EventHub(1), log: () => {}, webdav: dav }),
    /without a password/,
  );
  const s = await startServer({ host: '0.0.0.0', port: 0, staticRoot: '/nonexistent', dispatch: noDispatch, events: new EventHub(1), log: () => {}, webdav: dav, password: 'pw' });
  t.after(() => s.close());
  assert.equal((await send(s.port, 'PROPFIND', '/dav/', { headers: { Depth: '0' } })).status, 401);
  assert.equal((await send(s.port, 'PROPFIND', '/dav/', { headers: { Depth: '0' }, auth: basic('nas', 'pw') })).status, 503);
});
