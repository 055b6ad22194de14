// `serve` over a real socket with the production core (real engine on temp folders, real drives layer): what it refuses (methods, args, messages, origins, hosts,
// missing credentials, path traversal) and that a good call round-trips bytes and pushes numbered events.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from '../../core/app/app-core.ts';
import { createDispatch, createHandlers } from '../../core/app/handlers.ts';
import { startServer } from '../../core/server/server.ts';
import type { ServerOptions } from '../../core/server/server.ts';
import { resolveStatic } from '../../core/server/static-files.ts';
import { COOKIE_NAME } from '../../core/server/auth.ts';
import { coreDeps } from '../../core/app/core-deps.ts';
import { tempDir } from '../helpers/tmp.ts';
import { closed, connect } from '../helpers/ws-client.ts';

async function site(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  const web = join(root, 'web');
  await mkdir(join(web, 'assets'), { recursive: true });
  await writeFile(join(web, 'index.html'), '<!doctype html><title>NAS Mirror</title>');
  await writeFile(join(web, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(root, 'secret.txt'), 'top secret');
  await symlink(join(root, 'secret.txt'), join(web, 'leak.txt'));
  return { root, web };
}

async function serve(t: Parameters<typeof tempDir>[0], extra: Partial<ServerOptions> = {}) {
  const { web } = await site(t);
  const core = await AppCore.start({ deps: coreDeps(), configDir: await tempDir(t), native: false, log: () => {}, coalesceMs: 1 });
  const server = await startServer({ host: '127.0.0.1', port: 0, staticRoot: web, dispatch: createDispatch(createHandlers(core)), events: core.events, log: () => {}, ...extra });
  t.after(async () => { await server.close(); await core.shutdown(); });
  const origin = `http://127.0.0.1:${server.port}`;
  return { core, server, origin, rpc: `ws://127.0.0.1:${server.port}/rpc` };
}

/** For tests that wait on the server's side (a session closing, a socket closing), where no reply can time out. */
const SERVER_SIDE_WAIT = { timeout: 60_000 };

/** A raw HTTP GET: fetch() would normalise `..` away before it reached the server. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the static server serves the renderer with MIME and CSP, and nothing outside its folder', async (t) => {
  const { server } = await serve(t);
  const index = await get(server.port, '/');
  assert.equal(index.status, 200);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(String(index.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.equal((await get(server.port, '/assets/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/leak.txt', '/%00', '/..\\secret.txt', '/%E0%A4%A']) {
    const r = await get(server.port, path);
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.body, /top secret/, path);
  }
});

test('resolveStatic refuses traversal, symlinks out, and folders', async (t) => {
  const { web } = await site(t);
  assert.equal(await resolveStatic(web, '/'), join(web, 'index.html'));
  for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/leak.txt', '/assets', 'relative', '/%2e%2e%2fsecret.txt']) {
    assert.equal(await resolveStatic(web, p), null, p);
  }
});

test('calls round-trip bytes; events arrive numbered', async (t) => {
  const { rpc, origin, core } = await serve(t);
  const c = await connect(rpc, { origin });
  t.after(() => c.close());
  const root = await tempDir(t); // removed after the core is shut down (hooks run in the order added)
  const snap = await c.call('app.snapshot');
  assert.ok(snap.ok);
  const a = join(root, 'a');
  const b = join(root, 'b');
  assert.ok((await c.call('mirror.create', { members: [{ path: a }, { path: b, writeMostly: true, throttle: { latencyMs: 5 } }] })).ok);
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  assert.deepEqual(await c.call('files.write', 'x.bin', bytes), { ok: true });
  assert.deepEqual(await c.call('files.read', 'x.bin'), { ok: true, value: bytes });
  assert.deepEqual(new Uint8Array(await readFile(join(a, 'x.bin'))), bytes, 'on the member folder itself');
  const missing = await c.call('files.read', 'nope.bin');
  assert.equal(!missing.ok && missing.error.code, 'ENOTFOUND');
  assert.ok(!missing.ok && missing.error.message.includes('nope.bin'), 'the error names the path');
  await core.requireMirror().drain();
  assert.deepEqual(new Uint8Array(await readFile(join(b, 'x.bin'))), bytes, 'and on the slow member once drained');
  assert.ok(c.events.length > 0 && c.events[0]!.event.type === 'mirror-changed');
  assert.deepEqual(c.events.map((e) => e.seq), c.events.map((_, i) => c.events[0]!.seq + i));
});

/** A serve process with a two-member mirror made over RPC (the second member with `second`'s options), and a client. */
async function mirrorOverRpc(t: TestContext, second: { throttle?: { latencyMs: number; bytesPerSecond: number } } = {}) {
  const { rpc, origin } = await serve(t);
  const root = await tempDir(t);
  const c = await connect(rpc, { origin });
  t.after(() => c.close());
  assert.ok((await c.call('mirror.create', { members: [{ path: join(root, 'a') }, { path: join(root, 'b'), ...second }] })).ok);
  return { c, root };
}

test('many chunks up (two in flight) and down land byte for byte, though the server gathers each in reused memory', async (t) => {
  // ws-big-messages.ts: a chunk's memory takes the next message once the engine has copied it. One drive is slowed, so
  // the engine's stream waits on it in the middle of a chunk while the next chunk arrives: memory given back too early
  // would be received into there and show in both copies (a reuse on receipt failed this test).
  const { c, root } = await mirrorOverRpc(t, { throttle: { latencyMs: 1, bytesPerSecond: 64 * 2 ** 20 } });
  const MiB = 2 ** 20;
  const data = new Uint8Array(6 * 8 * MiB + 77).map((_, i) => (i * 31 + (i >> 12) + (i >> 23) * 101) & 0xff); // each chunk its own
  const up = await c.call('files.uploadBegin', 'film.mkv');
  assert.ok(up.ok);
  const inFlight: Promise<unknown>[] = [];
  for (let off = 0; off < data.byteLength; off += 8 * MiB) {
    inFlight.push(c.call('files.uploadChunk', up.value, data.slice(off, off + 8 * MiB)).then((r) => assert.ok(r.ok, JSON.stringify(r))));
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  assert.ok((await c.call('files.uploadCommit', up.value)).ok);
  assert.ok((await readFile(join(root, 'a', 'film.mkv'))).equals(data), 'the first drive');
  assert.ok((await readFile(join(root, 'b', 'film.mkv'))).equals(data), 'the slowed drive');
  // Down: each chunk gathered from the drive's reads into a slab, encoded into another, both given back once sent.
  const down = await c.call('files.downloadBegin', 'film.mkv');
  assert.ok(down.ok);
  const got: Uint8Array[] = [];
  for (let r = await c.call('files.downloadChunk', (down.value as { id: string }).id); r.ok && r.value instanceof Uint8Array && r.value.byteLength > 0;
    r = await c.call('files.downloadChunk', (down.value as { id: string }).id)) got.push(r.value);
  assert.equal(got.length, 7);
  assert.ok(Buffer.concat(got).equals(data), 'downloaded byte for byte');
});

test('two downloads on one connection at once, each chunk sent while the other is made: both byte for byte', async (t) => {
  // A chunk's frame is a slab given back once the socket has taken it (ws-rpc.ts): given back on send instead, the
  // other download's chunk was encoded into it while the first still waited in the socket's queue.
  const { c } = await mirrorOverRpc(t);
  const MiB = 2 ** 20;
  const files = ['one.bin', 'two.bin'].map((name, k) => ({ name, data: new Uint8Array(3 * 8 * MiB + 9).map((_, i) => (i * (31 + k * 6) + (i >> 13) + k) & 0xff) }));
  for (const f of files) {
    const up = await c.call('files.uploadBegin', f.name);
    assert.ok(up.ok);
    for (let off = 0; off < f.data.byteLength; off += 8 * MiB) assert.ok((await c.call('files.uploadChunk', up.value, f.data.subarray(off, off + 8 * MiB))).ok);
    assert.ok((await c.call('files.uploadCommit', up.value)).ok);
  }
  const ids = await Promise.all(files.map(async (f) => { const r = await c.call('files.downloadBegin', f.name); assert.ok(r.ok); return (r.value as { id: string }).id; }));
  const got: Uint8Array[][] = [[], []];
  for (let done = false; !done;) {
    const rs = await Promise.all(ids.map((id) => c.call('files.downloadChunk', id)));
    done = true;
    rs.forEach((r, k) => { assert.ok(r.ok && r.value instanceof Uint8Array); if (r.value.byteLength > 0) { got[k]!.push(r.value); done = false; } });
  }
  files.forEach((f, k) => assert.ok(Buffer.concat(got[k]!).equals(f.data), `${f.name} byte for byte`));
});

test('a file goes up and comes back down in chunks over the WebSocket, byte for byte', async (t) => {
  // The upload's chunks are taken uncopied from the WebSocket's messages (transfers.ts).
  const { c, root } = await mirrorOverRpc(t);
  const data = new Uint8Array(8 * 2 ** 20 + 3 * 2 ** 20 + 5).map((_, i) => (i * 31 + (i >> 12)) & 0xff);
  const up = await c.call('files.uploadBegin', 'clip.mp4');
  assert.ok(up.ok);
  for (let off = 0; off < data.byteLength; off += 8 * 2 ** 20) assert.ok((await c.call('files.uploadChunk', up.value, data.subarray(off, off + 8 * 2 ** 20))).ok);
  assert.ok((await c.call('files.uploadCommit', up.value)).ok);
  const down = await c.call('files.downloadBegin', 'clip.mp4');
  assert.ok(down.ok);
  const { id, size } = down.value as { id: string; size: number };
  assert.equal(size, data.byteLength);
  const got: Uint8Array[] = [];
  for (;;) {
    const r = await c.call('files.downloadChunk', id);
    assert.ok(r.ok && r.value instanceof Uint8Array, JSON.stringify(r).slice(0, 200));
    if (r.value.byteLength === 0) break;
    got.push(r.value);
  }
  assert.ok(Buffer.concat(got).equals(data));
  assert.ok((await readFile(join(root, 'b', 'clip.mp4'))).equals(data));
});

test('a tab closed mid-upload cancels its transfer at once: the old file stays and the path is free', SERVER_SIDE_WAIT, async (t) => {
  const { rpc, origin, core } = await serve(t);
  const root = await tempDir(t);
  const c = await connect(rpc, { origin });
  assert.ok((await c.call('mirror.create', { members: [{ path: join(root, 'a') }, { path: join(root, 'b'), writeMostly: true }] })).ok);
  assert.ok((await c.call('files.write', 'movie.mkv', new TextEncoder().encode('old'))).ok);
  const begun = await c.call('files.uploadBegin', 'movie.mkv');
  assert.ok(begun.ok);
  const id = begun.value as string;
  assert.ok((await c.call('files.uploadChunk', id, new Uint8Array(8 * 2 ** 20).fill(7))).ok);
  assert.equal(core.transfers.open, 1);
  c.close();
  await core.transfers.closed(id);
  assert.equal(core.transfers.open, 0);
  const d = await connect(rpc, { origin });
  t.after(() => d.close());
  assert.deepEqual(await d.call('files.read', 'movie.mkv'), { ok: true, value: new TextEncoder().encode('old') });
  // A rewrite of the same path is not held up behind the abandoned upload.
  assert.ok((await d.call('files.write', 'movie.mkv', new TextEncoder().encode('new'))).ok);
  const bad = await d.call('files.uploadChunk', 'not-an-id', new Uint8Array(1));
  assert.equal(!bad.ok && bad.error.code, 'EBADARGS');
});

test('unknown methods, bad arguments and malformed messages get error data; the connection stays up', async (t) => {
  const { rpc } = await serve(t);
  const c = await connect(rpc);
  t.after(() => c.close());
  const exit = await c.call('process.exit');
  assert.equal(!exit.ok && exit.error.code, 'EUNKNOWNMETHOD');
  const unknown = await c.call('__proto__');
  assert.equal(!unknown.ok && unknown.error.code, 'EUNKNOWNMETHOD');
  const bad = await c.call('files.rename', 'only-one');
  assert.equal(!bad.ok && bad.error.code, 'EBADARGS');
  const notBytes = await c.call('files.write', 'a', { $bytes: 'not base64 at all!' });
  assert.equal(!notBytes.ok && notBytes.error.code, 'EBADMESSAGE');
  for (const text of ['{oops', '[]', 'null', '{"id":1}', '{"id":{"x":1},"method":"app.snapshot","args":[]}', '{"id":2,"method":"app.snapshot","args":{}}', '{"id":3,"method":"app.snapshot","args":[],"extra":1}']) {
    const reply = await c.raw(text);
    assert.equal(!reply.result.ok && reply.result.error.code, 'EBADMESSAGE', text);
  }
  const binary = await c.raw(Buffer.from([1, 2, 3]));
  assert.equal(!binary.result.ok && binary.result.error.code, 'EBADMESSAGE');
  assert.ok((await c.call('app.snapshot')).ok, 'still serving after all that');
});

test('an oversized message closes that connection (1009) and nothing else', SERVER_SIDE_WAIT, async (t) => {
  const { rpc } = await serve(t, { maxMessageBytes: 1024 });
  const c = await connect(rpc);
  const code = closed(c.ws);
  c.ws.send(JSON.stringify({ id: 1, method: 'files.write', args: ['a', { $bytes: 'A'.repeat(4096) }] }));
  assert.equal(await code, 1009);
  const again = await connect(rpc);
  assert.ok((await again.call('app.snapshot')).ok);
  again.close();
});

test('a cross-site Origin, a foreign Host and a wrong path are refused at the upgrade', async (t) => {
  const { rpc, server } = await serve(t);
  await assert.rejects(connect(rpc, { origin: 'http://evil.example' }), { status: 403 });
  await assert.rejects(connect(rpc, { headers: { host: `rebound.example:${server.port}` } }), { status: 421 });
  await assert.rejects(connect(`ws://127.0.0.1:${server.port}/other`), { status: 404 });
  assert.equal((await get(server.port, '/', { host: 'rebound.example' })).status, 421);
});

test('off loopback: no credentials, no connection; the token or the password login lets you in', async (t) => {
  const { rpc, server, origin } = await serve(t, { requireAuth: true, password: 'hunter2-long' });
  assert.ok(server.token);
  assert.doesNotMatch(server.url, /token=/, 'with a password the URL carries no token');
  await assert.rejects(connect(rpc, { origin }), { status: 401 });
  await assert.rejects(connect(`${rpc}?token=wrong`, { origin }), { status: 401 });
  const page = await get(server.port, '/');
  assert.equal(page.status, 303);
  assert.equal(page.headers.location, '/login');
  const byToken = await connect(`${rpc}?token=${server.token}`, { origin });
  assert.ok((await byToken.call('app.snapshot')).ok);
  byToken.close();

  const wrong = await fetch(`${origin}/login`, { method: 'POST', body: new URLSearchParams({ password: 'nope' }), redirect: 'manual' });
  assert.equal(wrong.status, 401);
  const login = await fetch(`${origin}/login`, { method: 'POST', body: new URLSearchParams({ password: 'hunter2-long' }), redirect: 'manual' });
  assert.equal(login.status, 303);
  const cookie = login.headers.get('set-cookie')!;
  assert.match(cookie, new RegExp(`^${COOKIE_NAME}=.+; HttpOnly; SameSite=Strict`));
  const byCookie = await connect(rpc, { origin, headers: { cookie: cookie.split(';')[0]! } });
  assert.ok((await byCookie.call('app.snapshot')).ok);
  byCookie.close();
  assert.equal((await get(server.port, '/', { cookie: cookie.split(';')[0]! })).status, 200);

  const viaLink = await get(server.port, `/?token=${server.token}`);
  assert.equal(viaLink.status, 303, 'a token link is traded for a cookie and dropped from the address bar');
  assert.equal(viaLink.headers.location, '/');
});
