// `serve` as a process on a non-loopback bind: it prints a one-time token in its URL and refuses connections without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServe } from '../helpers/serve-process.ts';
import { connect } from '../helpers/ws-client.ts';
import { tempDir } from '../helpers/tmp.ts';

test('--host 0.0.0.0 without a password generates a token; no token, no connection', { timeout: 60_000 }, async (t) => {
  const config = await tempDir(t);
  const s = await startServe(['--host', '0.0.0.0', '--port', '0', '--config', config]);
  t.after(() => s.stop('SIGKILL'));
  const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]{20,})$/.exec(s.url);
  assert.ok(m, s.url);
  const rpc = `ws://127.0.0.1:${m[1]}/rpc`;
  await assert.rejects(connect(rpc), { status: 401 });
  const c = await connect(`${rpc}?token=${m[2]}`);
  const snap = await c.call('app.snapshot');
  assert.ok(snap.ok);
  c.close();
  assert.equal(await s.stop('SIGTERM'), 0);
});

test('bad flags exit with usage, never serve', async () => {
  const s = startServe(['--port', 'eighty']);
  await assert.rejects(s, /--port must be a number/);
});
