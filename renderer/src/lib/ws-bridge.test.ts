import { expect, test } from 'vitest';
import { rpcUrlFromLocation, WsBridge } from './ws-bridge.ts';
import { encodeWire, encodeWireFrame, decodeWireFrame } from '../../../core/contract/wire-codec.ts';

/** A scripted stand-in for the browser WebSocket: records what is sent, lets the test open, reply, push and drop. */
class FakeSocket {
  static all: FakeSocket[] = [];
  static #created: ((s: FakeSocket) => void)[] = [];
  /** The next socket the bridge opens (a reconnect happens on a timer: this is what a test awaits). */
  static next(): Promise<FakeSocket> { return new Promise((r) => FakeSocket.#created.push(r)); }
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string | ArrayBuffer }) => void) | null = null;
  binaryType = 'blob';
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
    for (const r of FakeSocket.#created.splice(0)) r(this);
  }
  frames: (string | Uint8Array)[] = [];
  send(frame: string | Uint8Array) { this.frames.push(frame); this.sent.push(decodeWireFrame(frame)); }
  close() { this.onclose?.(); }
  open() { this.onopen?.(); }
  reply(id: number, result: unknown) { this.onmessage?.({ data: encodeWire({ id, result }) }); }
  push(envelope: unknown) { this.onmessage?.({ data: encodeWire({ event: envelope }) }); }
  /** A reply as the server sends one that carries bytes: a binary frame, delivered as an ArrayBuffer. */
  replyBinary(id: number, result: unknown) {
    const f = encodeWireFrame({ id, result }) as Uint8Array;
    this.onmessage?.({ data: f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength) as ArrayBuffer });
  }
}

function bridge() {
  FakeSocket.all = [];
  const b = new WsBridge({ url: 'ws://h/rpc', backoffMs: () => 0, WebSocketImpl: FakeSocket as unknown as typeof WebSocket });
  return { b, socket: () => FakeSocket.all.at(-1)! };
}

test('the rpc URL follows the page: ws or wss, same host, token passed on', () => {
  expect(rpcUrlFromLocation(new URL('http://nas.local:5178/?token=a b') as unknown as Location)).toBe('ws://nas.local:5178/rpc?token=a%20b');
  expect(rpcUrlFromLocation(new URL('https://nas.local/app/index.html') as unknown as Location)).toBe('wss://nas.local/app/rpc');
});

test('calls made before the socket opens are sent on open; bytes cross as Uint8Array', async () => {
  const { b, socket } = bridge();
  const pending = b.call('files.write', 'a.bin', new Uint8Array([1, 2, 3]));
  expect(socket().sent).toEqual([]);
  socket().open();
  const [req] = socket().sent as { id: number; method: string; args: unknown[] }[];
  expect(req.method).toBe('files.write');
  expect(req.args[1]).toEqual(new Uint8Array([1, 2, 3]));
  socket().reply(req.id, { ok: true, value: null });
  expect(await pending).toEqual({ ok: true, value: null });
});

test('pushed events reach listeners; a dropped connection fails calls in flight and reconnects', async () => {
  const { b, socket } = bridge();
  const seen: number[] = [];
  const conn: boolean[] = [];
  b.onEvent((e) => seen.push(e.seq));
  b.onConnection((up) => conn.push(up));
  const first = socket();
  first.open();
  first.push({ seq: 7, event: { type: 'app-state', state: 'running' } });
  expect(seen).toEqual([7]);

  const inFlight = b.call('files.read', 'x');
  const reconnected = FakeSocket.next();
  first.close();
  expect(await inFlight).toMatchObject({ ok: false, error: { code: 'EDISCONNECTED' } });
  const second = await reconnected;
  expect(second).not.toBe(first);
  expect(socket()).toBe(second);
  second.open();
  expect(conn).toEqual([true, false, true]);
  b.close();
});

test('bytes go out as a binary frame and come back from one; plain calls stay text', async () => {
  const { b, socket } = bridge();
  socket().open();
  expect(socket().binaryType).toBe('arraybuffer');
  const chunk = new Uint8Array(100_000).map((_, i) => i & 0xff);
  const up = b.call('files.uploadChunk', '00000000-0000-4000-8000-000000000001', chunk);
  const down = b.call('files.downloadChunk', '00000000-0000-4000-8000-000000000001');
  const [upFrame, downFrame] = socket().frames;
  expect(upFrame).toBeInstanceOf(Uint8Array);
  expect((upFrame as Uint8Array).byteLength).toBeLessThan(chunk.byteLength + 300);
  expect(typeof downFrame).toBe('string');
  const sent = socket().sent[0] as { id: number; args: [string, Uint8Array] };
  expect([...sent.args[1]]).toEqual([...chunk]);
  socket().reply(sent.id, { ok: true, value: { received: chunk.byteLength } });
  socket().replyBinary((socket().sent[1] as { id: number }).id, { ok: true, value: chunk });
  expect(await up).toEqual({ ok: true, value: { received: 100_000 } });
  const got = await down;
  expect(got.ok && [...got.value]).toEqual([...chunk]);
});
