// A GET's body: the engine's chunks as a Readable that gives each one back to the chunk pool once the response has
// written it to the socket (its write callback), so a big download reuses a few buffers instead of making one per MiB
// (core/fs/chunk-pool.ts has the measurement and the rule).
//
// nephele sends a body with `stream.pipe(response)`, and a plain pipe writes without a callback, so nobody could say
// when the socket is done with a chunk. This stream's pipe is the same loop (write; on false pause until 'drain'; end
// the response at the end) with a callback per write: a chunk whose write succeeded is given back, one whose write
// failed (the client went away) is not, since a failed write may not have let go of it. Reading it any other way
// ('data' listeners, async iteration) works as for any Readable and gives nothing back.
import { Readable, type Writable } from 'node:stream';
import { giveChunk } from '../../fs/chunk-pool.ts';

export class ReleasedStream extends Readable {
  readonly #chunks: AsyncIterator<Uint8Array>;
  #reading = false;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    super({ highWaterMark: 1 << 20 });
    this.#chunks = chunks[Symbol.asyncIterator]();
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#chunks.next().then((r) => {
      this.#reading = false;
      if (r.done) this.push(null);
      else if (this.push(r.value)) this._read();
    }, (e: unknown) => {
      this.#reading = false;
      this.destroy(e instanceof Error ? e : new Error(String(e)));
    });
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // Stopping early (client gone, range done) releases the file: the engine's reader closes its handle.
    this.#chunks.return?.().then(() => cb(err), () => cb(err));
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T {
    const out = dest as unknown as Writable;
    const onData = (c: Uint8Array) => {
      const more = out.write(c, (e) => { if (!e) giveChunk(c); });
      if (!more) {
        this.pause();
        out.once('drain', () => this.resume());
      }
    };
    this.on('data', onData);
    if (opts?.end !== false) this.once('end', () => out.end());
    out.once('close', () => this.off('data', onData));
    return dest;
  }
}
