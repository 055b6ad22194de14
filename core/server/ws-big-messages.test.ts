// Big frames received into reused slabs (ws-big-messages.ts): every message arrives byte for byte whatever its size,
// fragmentation or type, a slab given back is received into again, and nothing else is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { CHUNK_BYTES } from '../contract/contract.ts';
import { giveSlab } from '../fs/slab-pool.ts';
import { messageBytes, receiveBigIntoSlabs } from './ws-big-messages.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** Bytes that differ everywhere (a stale slab's leftovers would show). */
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 255);

interface Received { data: Buffer; isBinary: boolean }

async function pair(t: { after(fn: () => unknown): void }, o: { giveBack: boolean }) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 64 << 20 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const got: Received[] = [];
  const waiting: ((r: Received) => void)[] = [];
  let patched: boolean | undefined;
  wss.on('connection', (ws) => {
    patched = receiveBigIntoSlabs(ws);
    ws.on('message', (data, isBinary) => {
      const bytes = messageBytes(data);
      const r = { data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), isBinary };
      const copy = { data: Buffer.from(r.data), isBinary }; // what arrived, before its memory may be received into
      if (o.giveBack) giveSlab(r.data);
      const w = waiting.shift();
      if (w) w(copy); else got.push(copy);
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise<void>((r, j) => { client.once('open', () => r()); client.once('error', j); });
  t.after(async () => { client.terminate(); await new Promise((r) => wss.close(r)); });
  const next = () => new Promise<Received>((r) => { const g = got.shift(); if (g) r(g); else waiting.push(r); });
  return { client, next, patched: () => patched };
}

test('every size, fragmented or whole, binary or text, arrives byte for byte; the installed ws is the one it knows', async (t) => {
  const { client, next, patched } = await pair(t, { giveBack: true });
  const sizes = [10, 70 << 10, (1 << 20) - 1, 1 << 20, (3 << 20) + 5, CHUNK_BYTES + 100, CHUNK_BYTES + (64 << 10) + 1];
  for (const [i, n] of sizes.entries()) {
    const b = bytes(n, i);
    client.send(b);
    const r = await next();
    assert.equal(r.isBinary, true);
    assert.equal(r.data.length, n, `${n} bytes`);
    assert.equal(sha(r.data), sha(b), `${n} bytes: the same bytes`);
  }
  assert.equal(patched(), true, 'ws 8 receiver found: a newer ws that changed it must be looked at (it only slows down)');
  // A message sent in pieces (fragments), each past a socket read: gathered as ws gathers them.
  const parts = [bytes(3 << 20, 20), bytes(2 << 20, 21), bytes(5, 22)];
  parts.forEach((p, i) => client.send(p, { fin: i === parts.length - 1 }));
  const whole = await next();
  assert.equal(sha(whole.data), sha(Buffer.concat(parts)), 'fragments joined in order');
  const text = 'ü'.repeat(1 << 20); // 2 MiB of UTF-8
  client.send(text);
  const r = await next();
  assert.equal(r.isBinary, false);
  assert.equal(r.data.toString(), text);
});

test('a slab given back is received into again, whether the message came whole or in pieces; one never given back is not', async (t) => {
  const seen: ArrayBufferLike[] = [];
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 64 << 20 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const answers: string[] = [];
  let answered: () => void = () => {};
  wss.on('connection', (ws) => {
    receiveBigIntoSlabs(ws);
    ws.on('message', (data) => {
      const d = messageBytes(data);
      seen.push(d.buffer);
      answers.push(sha(d));
      if (seen.length <= 3) giveSlab(d); // the first three go back; later ones are kept by their receiver
      answered();
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise<void>((r, j) => { client.once('open', () => r()); client.once('error', j); });
  t.after(async () => { client.terminate(); await new Promise((r) => wss.close(r)); });
  const sent: string[] = [];
  for (let i = 0; i < 6; i++) {
    const b = bytes(CHUNK_BYTES - i * 1000, 40 + i); // each shorter than the last: leftovers would show
    sent.push(sha(b));
    const done = new Promise<void>((r) => { answered = r; });
    if (i % 2 === 0) client.send(b);
    else for (let at = 0; at < b.length; at += 131_000) client.send(b.subarray(at, at + 131_000), { fin: at + 131_000 >= b.length }); // as Chromium sends
    await done;
  }
  assert.deepEqual(answers, sent, 'every message its own bytes');
  assert.equal(seen[1], seen[0], 'the slab given back took the next message');
  assert.equal(seen[3], seen[0], 'and again');
  assert.notEqual(seen[4], seen[3], 'one kept by its receiver is never received into');
  assert.notEqual(seen[5], seen[4]);
});
