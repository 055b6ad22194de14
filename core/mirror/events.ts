// A tiny typed event emitter for MirrorEvents: listeners never break the engine.
import type { MirrorEvent } from '../contract/types.ts';

export class MirrorEvents {
  readonly #listeners = new Set<(e: MirrorEvent) => void>();

  on(listener: (e: MirrorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(e: MirrorEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        console.error('nas-mirror: an event listener threw', err);
      }
    }
  }
}
