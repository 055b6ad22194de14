// Conflicts waiting for the user (issue 11, part 2): files changed directly on a write-mostly drive, or on two drives
// differently. Fetched from the core when the count changes; resolved one at a time, visibly.
import type { Conflict, ConflictChoice } from '../../../core/contract/types.ts';
import { errorMessage, type Client } from './client.ts';

export class ConflictsState {
  #list = $state.raw<Conflict[]>([]);
  #busy = $state<string | null>(null);
  #error = $state.raw<{ id: string; message: string } | null>(null);
  #loading: Promise<void> | null = null;
  #again = false;

  readonly #client: Client;

  constructor(client: Client) { this.#client = client; }

  get list(): Conflict[] { return this.#list; }
  /** The conflict being resolved now. */
  get busy(): string | null { return this.#busy; }
  get error(): { id: string; message: string } | null { return this.#error; }

  /** Fetches the list; a change announced while fetching fetches once more after. */
  refresh(): Promise<void> {
    if (this.#loading) { this.#again = true; return this.#loading; }
    this.#loading = (async () => {
      do {
        this.#again = false;
        try {
          this.#list = await this.#client.call('mirror.conflicts');
        } catch {
          this.#list = []; // no mirror open
        }
      } while (this.#again);
    })().finally(() => { this.#loading = null; });
    return this.#loading;
  }

  async resolve(id: string, choice: ConflictChoice, memberId?: string): Promise<void> {
    this.#busy = id;
    this.#error = null;
    try {
      await this.#client.call('mirror.resolveConflict', id, choice, memberId);
      this.#list = this.#list.filter((c) => c.id !== id);
    } catch (e) {
      this.#error = { id, message: errorMessage(e) };
    } finally {
      this.#busy = null;
    }
    await this.refresh();
  }
}
