// The demo end to end, as a person runs it: `serve --demo` prints its URL, the mirror has an SSD and a write-mostly
// USB member with sample files, a write reads back, SIGTERM flushes and exits cleanly, and a second run reuses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppSnapshot } from '../../core/contract/contract.ts';
import { startServe } from '../helpers/serve-process.ts';
import { connect } from '../helpers/ws-client.ts';
import { tempDir } from '../helpers/tmp.ts';

const rpcUrl = (url: string) => `${url.replace(/^http/, 'ws').replace(/\/(\?.*)?$/, '/rpc$1')}`;

test('serve --demo: two members, sample files, write + read, clean stop, reuse on re-run', { timeout: 120_000 }, async (t) => {
  const config = await tempDir(t);
  const first = await startServe(['--demo', '--port', '0', '--config', config]);
  t.after(() => first.stop('SIGKILL'));
  assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const c = await connect(rpcUrl(first.url));
  const snap = await c.call('app.snapshot');
  assert.ok(snap.ok);
  const { mirror, demo } = snap.value as AppSnapshot;
  assert.equal(demo, true);
  assert.equal(mirror?.members.length, 2);
  const usb = mirror!.members.find((m) => m.label === 'USB Backup')!;
  assert.equal(usb.writeMostly, true);
  assert.ok(mirror!.members.find((m) => m.label === 'Internal SSD' && !m.writeMostly));

  const docs = await c.call('files.list', 'documents');
  assert.ok(docs.ok && (docs.value as { name: string }[]).some((e) => e.name === 'README.txt'));
  const data = new TextEncoder().encode('written through the demo');
  assert.deepEqual(await c.call('files.write', 'documents/hello.txt', data), { ok: true });
  assert.deepEqual(await c.call('files.read', 'documents/hello.txt'), { ok: true, value: data });
  c.close();

  assert.equal(await first.stop('SIGTERM'), 0, first.stderr());
  assert.match(first.stderr(), /Mirror stopped cleanly/);
  // The stop drained the behind writes: the slow USB folder holds the file as a plain file.
  assert.equal(await readFile(join(usb.path, 'documents', 'hello.txt'), 'utf8'), 'written through the demo');

  const second = await startServe(['--demo', '--port', '0', '--config', config]);
  t.after(() => second.stop('SIGKILL'));
  const c2 = await connect(rpcUrl(second.url));
  const snap2 = await c2.call('app.snapshot');
  assert.ok(snap2.ok);
  assert.equal((snap2.value as AppSnapshot).mirror?.id, mirror!.id, 'the same mirror, re-assembled');
  assert.deepEqual(await c2.call('files.read', 'documents/hello.txt'), { ok: true, value: data });
  c2.close();
  assert.equal(await second.stop('SIGTERM'), 0, second.stderr());
});
