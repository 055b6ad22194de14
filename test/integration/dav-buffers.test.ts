// The share's big-stream buffers are reused (core/fs/chunk-pool.ts) and its lookups are made once per request
// (core/server/dav/request-lookups.ts): neither may ever hand a client the wrong bytes or a stale answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Mirror } from '../../core/index.ts';
import { freeChunks, madeChunks, takeChunk } from '../../core/fs/chunk-pool.ts';
import { davMirror, davServer } from '../helpers/dav.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('concurrent GETs and PUTs of different big files each get their own bytes while buffers are reused', async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  const files = Array.from({ length: 6 }, (_, i) => randomBytes((3 << 20) + i * 777_777));
  for (const [i, f] of files.entries()) assert.equal((await s.req('PUT', `/dav/f${i}.bin`, { body: f })).status, 201);
  while (freeChunks() > 0) takeChunk(); // start from an empty pool
  const made = madeChunks();
  let served = 0;

  for (let round = 0; round < 3; round++) {
    const gets = files.map(async (f, i) => {
      const r = await s.req('GET', `/dav/f${i}.bin`);
      assert.equal(r.status, 200);
      assert.equal(sha(r.body), sha(f), `f${i}.bin, round ${round}`);
      served += Math.ceil(f.byteLength / (1 << 20));
    });
    const ranges = files.map(async (f, i) => {
      const r = await s.req('GET', `/dav/f${i}.bin`, { headers: { Range: `bytes=${1_000_000 + i}-${2_500_000 + i}` } });
      assert.equal(r.status, 206);
      assert.ok(r.body.equals(f.subarray(1_000_000 + i, 2_500_001 + i)), `range of f${i}.bin, round ${round}`);
    });
    const news = Array.from({ length: 3 }, () => randomBytes((2 << 20) + 12_345));
    const puts = news.map(async (f, i) => assert.equal((await s.req('PUT', `/dav/new-${round}-${i}.bin`, { body: f })).status, 201));
    await Promise.all([...gets, ...ranges, ...puts]);
    for (const [i, f] of news.entries()) assert.equal(sha(await m.readFile(`new-${round}-${i}.bin`)), sha(f));
  }
  const fresh = madeChunks() - made;
  assert.ok(fresh < served / 2, `GETs served ${served} MiB-chunks with ${fresh} new buffers: sent chunks come back to the pool`);
});

test('a PUT looks each path up once, and what it answers afterwards is the new version', async (t) => {
  const { m } = await davMirror(t);
  let stats = 0;
  const counted = new Proxy(m, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (key === 'stat') return (p: string) => { stats++; return target.stat(p); };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Mirror;
  const s = await davServer(t, { mirror: counted });
  assert.equal((await s.req('MKCOL', '/dav/d')).status, 201);
  stats = 0;
  assert.equal((await s.req('PUT', '/dav/d/a.txt', { body: 'one' })).status, 201);
  assert.ok(stats <= 2, `a new file's PUT asked the engine ${stats} times (the file and its folder: 2)`);

  const first = await s.req('GET', '/dav/d/a.txt');
  assert.equal((await s.req('PUT', '/dav/d/a.txt', { body: 'two, longer' })).status, 204, 'the second PUT sees the file its request did not make');
  const second = await s.req('GET', '/dav/d/a.txt');
  assert.equal(second.text, 'two, longer');
  assert.notEqual(second.headers.etag, first.headers.etag);
  // A change made elsewhere between two requests is seen by the next one: lookups are never shared between requests.
  await m.remove('d/a.txt');
  assert.equal((await s.req('GET', '/dav/d/a.txt')).status, 404);
  assert.equal((await s.req('PUT', '/dav/d/a.txt', { body: 'three' })).status, 201);
});
