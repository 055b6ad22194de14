import { expect, test } from 'vitest';
import { rpcUrlFromLocation, WsBridge } from './ws-bridge.ts';
import { encodeWire, decodeWire } from '../../../core/api/wire-codec.ts';

/** A scripted stand-in for the browser WebSocket: records what is sent, lets the test open, reply, push and drop. */
class FakeSocket {
  static all: FakeSocket[] = [];
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) { FakeSocket.all.push(this); }
  send(text: string) { this.sent.push(decodeWire(text)); }
  close() { this.onclose?.(); }
  open() { this.onopen?.(); }
  reply(id: number, result: unknown) { this.onmessage?.({ data: encodeWire({ id, result }) }); }
  push(envelope: unknown) { this.onmessage?.({ data: encodeWire({ event: envelope }) }); }
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
  first.close();
  expect(await inFlight).toMatchObject({ ok: false, error: { code: 'EDISCONNECTED' } });
  await new Promise((r) => setTimeout(r, 5));
  expect(socket()).not.toBe(first);
  socket().open();
  expect(conn).toEqual([true, false, true]);
  b.close();
});
