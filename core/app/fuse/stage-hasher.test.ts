// StageHasher: the checksum of a file being written from its start, read back behind the writes by a worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StageHasher } from './stage-hasher.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('base64url');

async function folder(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-hasher-'));
  const hasher = new StageHasher(50);
  t.after(async () => { await hasher.close(); await rm(dir, { recursive: true, force: true }); });
  return { dir, hasher };
}

test('a file followed as it grows: the checksum of what was written, up to the size asked', async (t) => {
  const { dir, hasher } = await folder(t);
  const file = join(dir, 'a.stage');
  const parts = [randomBytes(3 << 20), randomBytes(5), randomBytes(1 << 20)];
  await writeFile(file, '');
  const job = hasher.follow(file);
  let size = 0;
  for (const p of parts) {
    await appendFile(file, p);
    size += p.byteLength;
    job.upTo(size);
  }
  assert.equal(await job.digest(size), sha(Buffer.concat(parts)));
  assert.equal(await job.digest(size), null, 'a job gives its checksum once');

  const two = hasher.follow(file);
  assert.equal(await two.digest(3 << 20), sha(parts[0]!), 'the first bytes only, when that is what was asked');
});

test('no checksum for a job dropped, for a file shorter than asked, or for one that cannot be read', async (t) => {
  const { dir, hasher } = await folder(t);
  const file = join(dir, 'b.stage');
  await writeFile(file, randomBytes(1000));
  const dropped = hasher.follow(file);
  dropped.upTo(1000);
  dropped.drop();
  assert.equal(await dropped.digest(1000), null);
  assert.equal(await hasher.follow(file).digest(1001), null, 'shorter than the writes said: not trusted');
  assert.equal(await hasher.follow(join(dir, 'missing.stage')).digest(0), null);
  const last = hasher.follow(file);
  await hasher.close();
  assert.equal(await last.digest(1000), null, 'the worker gone: no checksum, and no wait');
  assert.equal(await hasher.follow(file).digest(1000), sha(await import('node:fs/promises').then((f) => f.readFile(file))), 'a new worker after close');
});
