// EventHub: numbers every app event with a monotonically increasing seq and fans it out to the transports.
// High-rate progress events (behind counts, resync/scrub progress) are coalesced per key: only the latest
// value matters to a UI, and a flood must not starve the socket.
import type { AppEvent, EventEnvelope } from '../contract/contract.ts';

export type EnvelopeListener = (e: EventEnvelope) => void;

/** Beyond this many paths a files-changed event says '' (anything): a view then refreshes whatever it shows. */
const MAX_CHANGED_PATHS = 200;

/** Two files-changed events as one: every path of both, or '' when that is too many to list. */
export function mergeFilesChanged(waiting: AppEvent, next: AppEvent): AppEvent {
  if (waiting.type !== 'files-changed' || next.type !== 'files-changed') return next;
  const paths = [...new Set([...waiting.paths, ...next.paths])];
  return { type: 'files-changed', paths: paths.length > MAX_CHANGED_PATHS || paths.includes('') ? [''] : paths };
}

export class EventHub {
  #seq = 0;
  readonly #listeners = new Set<EnvelopeListener>();
  readonly #pending = new Map<string, AppEvent>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #queue: AppEvent[] = [];
  #sending = false;

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

  /** Sends the latest event for `key` within coalesceMs; `merge` folds the one still waiting into it instead. */
  emitCoalesced(key: string, event: AppEvent, merge?: (waiting: AppEvent, next: AppEvent) => AppEvent): void {
    const waiting = this.#pending.get(key);
    this.#pending.delete(key); // re-insert so Map order follows the latest report
    this.#pending.set(key, waiting && merge ? merge(waiting, event) : event);
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

  /**
   * An event sent by a listener while another is being delivered (the event history records one) waits until every
   * listener has the first: each listener then hears them all in seq order.
   */
  #send(event: AppEvent): void {
    this.#queue.push(event);
    if (this.#sending) return;
    this.#sending = true;
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        const envelope: EventEnvelope = { seq: ++this.#seq, event: next };
        for (const l of this.#listeners) {
          // One broken transport must not keep the others from hearing about the mirror.
          try { l(envelope); } catch { /* the transport logs its own failures */ }
        }
      }
    } finally {
      this.#sending = false;
    }
  }
}
