// Big WebSocket messages received into reused memory.
//
// ws gathers a frame that spans several socket reads (an upload chunk of 8 MiB arrives in 64 KiB reads) by copying it
// into a new buffer of the frame's size. On this VM new memory is slow to touch the first time (glibc hands buffers
// this big out by mmap and gives them back at free; kswapd takes back what the guest does not use), and that copy was
// most of the receiving side of an upload: a bare ws server took 8 MiB messages at 90-200 MB/s, the same bytes over a
// plain socket went at 650-840 MB/s (test/bench/RESULTS.md, scenario 7). Here such a frame is copied into a slab
// (fs/slab-pool.ts) instead.
//
// The rule that makes reuse safe: a slab goes back only through `giveSlab`, and only a caller that knows nothing holds a
// view of the message any more may call it (ws-rpc.ts: after a call whose handler copies its bytes before it
// resolves). A message nobody gives back is simply left to the garbage collector, as ws's own buffers are.
import type { WebSocket } from 'ws';
import { slabFor } from '../fs/slab-pool.ts';

/** What a ws receiver holds that this relies on (ws 8's Receiver): checked before anything is replaced. */
interface Receiver { consume(n: number): Buffer; _buffers: Buffer[]; _bufferedBytes: number; _fin: boolean; _fragmented: number }

function receiverOf(ws: WebSocket): Receiver | null {
  const r = (ws as unknown as { _receiver?: Partial<Receiver> })._receiver;
  return r && typeof r.consume === 'function' && Array.isArray(r._buffers) && typeof r._bufferedBytes === 'number'
    && typeof r._fin === 'boolean' && typeof r._fragmented === 'number' ? r as Receiver : null;
}

/**
 * A binary message's bytes. A browser sends a big message in pieces (Chromium: frames of 131,000 bytes), which ws
 * would join into new memory; with binaryType 'fragments' it hands them over as they came, and they are joined here
 * into a slab when the message is chunk-sized.
 */
export function messageBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (!Array.isArray(data)) return data;
  if (data.length === 1) return data[0]!;
  const size = data.reduce((n, b) => n + b.length, 0);
  const out = slabFor(size);
  if (!out) return Buffer.concat(data, size);
  let at = 0;
  for (const b of data) { out.set(b, at); at += b.length; }
  return out;
}

/**
 * Makes `ws` receive chunk-sized messages into slabs: one sent in pieces is handed over in pieces (binaryType
 * 'fragments': read it with messageBytes), one sent whole is gathered from the socket's reads straight into a slab.
 * Returns false when this ws does not have the receiver it knows (another version): whole frames then arrive as
 * before, only slower.
 */
export function receiveBigIntoSlabs(ws: WebSocket): boolean {
  ws.binaryType = 'fragments';
  const r = receiverOf(ws);
  if (!r) return false;
  const own = r.consume;
  r.consume = function (this: Receiver, n: number): Buffer {
    // What ws does for a frame within one read (a view, no copy), for a piece of a message sent in pieces
    // (messageBytes joins those), and for anything not chunk-sized.
    const dst = n > this._buffers[0]!.length && this._fin && this._fragmented === 0 ? slabFor(n) : null;
    if (!dst) return own.call(this, n);
    this._bufferedBytes -= n;
    let at = 0;
    while (at < n) {
      const buf = this._buffers[0]!;
      const want = n - at;
      if (buf.length <= want) {
        dst.set(buf, at);
        this._buffers.shift();
        at += buf.length;
      } else {
        dst.set(buf.subarray(0, want), at);
        this._buffers[0] = buf.subarray(want);
        at = n;
      }
    }
    return dst;
  };
  return true;
}
