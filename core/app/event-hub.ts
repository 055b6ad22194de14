// EventHub: numbers every app event with a monotonically increasing seq and fans it out to the transports.
// High-rate progress events (behind counts, resync/scrub progress) are coalesced per key: only the latest
// value matters to a UI, and a flood must not starve the socket.
import type { AppEvent, EventEnvelope } from '../contract/contract.ts';

export type EnvelopeListener = (e: EventEnvelope) => void;

export class EventHub {
  #seq = 0;
  readonly #listeners = new Set<EnvelopeListener>();
  readonly #pending = new Map<string, AppEvent>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly coalesceMs = 100) {}

  /** The seq of the last event sent; a snapshot taken now is current as of this number. */
  get seq(): number { return this.#seq; }

  subscribe(listener: EnvelopeListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  /** Sends now; coalesced events still waiting go first so the order the engine reported is kept. */
  emit(event: AppEvent): void {
    this.flush();
    this.#send(event);
  }

  /** Sends the latest event for `key` within coalesceMs. */
  emitCoalesced(key: string, event: AppEvent): void {
    this.#pending.delete(key); // re-insert so Map order follows the latest report
    this.#pending.set(key, event);
    this.#timer ??= setTimeout(() => this.flush(), this.coalesceMs);
  }

  flush(): void {
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const e of pending) this.#send(e);
  }

  close(): void {
    this.flush();
    this.#listeners.clear();
  }

  #send(event: AppEvent): void {
    const envelope: EventEnvelope = { seq: ++this.#seq, event };
    for (const l of this.#listeners) {
      // One broken transport must not keep the others from hearing about the mirror.
      try { l(envelope); } catch { /* the transport logs its own failures */ }
    }
  }
}
