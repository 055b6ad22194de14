// Live events in seq order on top of a snapshot: held while a snapshot loads, dropped when the snapshot already has
// them; a gap (events were lost) or a reconnect fetches a fresh snapshot, then what came after it is applied.
// cf. Syncthing's events with sequence numbers and Since(id) catch-up.
import type { AppEvent, EventEnvelope } from '../../../core/contract/contract.ts';

export interface SequencerHooks {
  /** Fetches and adopts a snapshot; resolves with its seq, or null when none could be had (events wait for the next). */
  load(): Promise<number | null>;
  /** Applies one event on top of the snapshot and the events before it. */
  apply(event: AppEvent): void;
}

export class EventSequencer {
  readonly #hooks: SequencerHooks;
  /** The seq of the last event applied (or of the snapshot); null until the first snapshot. */
  #seq: number | null = null;
  #loading: Promise<void> | null = null;
  /** Events that came while a snapshot loaded, or after a gap: applied in seq order once a snapshot is in. */
  #held: EventEnvelope[] = [];

  constructor(hooks: SequencerHooks) {
    this.#hooks = hooks;
  }

  /** The seq of the last event applied (or of the snapshot); -1 before the first snapshot. */
  get seq(): number { return this.#seq ?? -1; }

  receive(env: EventEnvelope): void {
    if (this.#loading || this.#seq === null) {
      this.#held.push(env);
      return;
    }
    if (env.seq <= this.#seq) return; // already part of the snapshot
    if (env.seq !== this.#seq + 1) {
      this.#held.push(env);
      void this.refetch();
      return;
    }
    this.#seq = env.seq;
    this.#hooks.apply(env.event);
  }

  /** Fetches a fresh snapshot (one at a time: a call while one loads waits for it), then applies the held events. */
  refetch(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = null;
      this.#release();
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const seq = await this.#hooks.load();
    if (seq !== null) this.#seq = seq;
  }

  #release(): void {
    if (this.#seq === null) return;
    const pending = this.#held.splice(0).sort((a, b) => a.seq - b.seq);
    for (const [i, env] of pending.entries()) {
      this.receive(env);
      if (this.#loading) {
        // Another gap: keep the rest for after the next snapshot.
        this.#held.push(...pending.slice(i + 1));
        return;
      }
    }
  }
}
