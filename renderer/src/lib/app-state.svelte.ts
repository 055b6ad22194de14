// The renderer's live state, as the components see it: what the core says (a LiveSnapshot, kept current by events
// that an EventSequencer puts in seq order, refetching the snapshot after a gap or a reconnect), the on-screen clock,
// and the actions (calls through the client, and what their answers change).
import type { AppEvent, AppPhase, AppSettings, AppSnapshot, ErrorData, KnownMirrorInfo, MethodArgs } from '../../../core/contract/contract.ts';
import type { DriveInfo, MemberSpec, MemberStatus, MirrorOptions, MirrorStatus } from '../../../core/contract/types.ts';
import { Client, errorMessage } from './client.ts';
import type { ActivityLog } from './activity.svelte.ts';
import type { EjectState } from './eject-state.svelte.ts';
import type { FallbackState } from './fallback-state.svelte.ts';
import type { LagHistory } from './lag-history.svelte.ts';
import type { ScrubState } from './scrub-state.svelte.ts';
import type { ConflictsState } from './conflicts-state.svelte.ts';
import type { ResyncEta } from './resync-eta.svelte.ts';
import { EventSequencer } from './event-sequencer.ts';
import { LiveSnapshot, type Healed } from './live-snapshot.svelte.ts';
import type { LiveBridge } from './ws-bridge.ts';

export type { AppPhase, Healed };

export interface AppStateOptions {
  /** Milliseconds clock; tests pass a fake one. */
  clock?: () => number;
  /** How often the on-screen clock advances (ages, chart window); 0 disables the ticker. */
  tickMs?: number;
}

export class AppState {
  readonly client: Client;

  #loadError = $state<string | null>(null);
  #connected = $state(true);
  #now = $state(0);
  #fetches = $state(0);

  readonly #bridge: LiveBridge;
  readonly #clock: () => number;
  readonly #tickMs: number;
  readonly #live: LiveSnapshot;
  readonly #events: EventSequencer;
  #unsubscribe: (() => void)[] = [];
  readonly #filesListeners = new Set<(paths: string[]) => void>();
  #ticker: ReturnType<typeof setInterval> | undefined;

  constructor(bridge: LiveBridge, o: AppStateOptions = {}) {
    this.#bridge = bridge;
    this.client = new Client(bridge);
    this.#live = new LiveSnapshot(this.client, (paths) => this.#filesChanged(paths));
    this.#events = new EventSequencer({ load: () => this.#load(), apply: (e) => this.apply(e) });
    this.#clock = o.clock ?? (() => Date.now());
    this.#tickMs = o.tickMs ?? 1000;
    this.#now = this.#clock();
  }

  // --- reading -------------------------------------------------------------------------------------------------

  get snapshot(): AppSnapshot | null { return this.#live.snapshot; }
  get mirror(): MirrorStatus | null { return this.#live.mirror; }
  get drives(): DriveInfo[] { return this.snapshot?.drives ?? []; }
  get native(): boolean { return this.snapshot?.native ?? false; }
  get demo(): boolean { return this.snapshot?.demo ?? false; }
  get notifications(): boolean { return this.snapshot?.settings?.notifications ?? true; }
  get settings(): AppSettings { return this.snapshot?.settings ?? { notifications: true }; }
  /** Mirrors used before on this machine: what "assemble again" offers. */
  get knownMirrors(): KnownMirrorInfo[] { return this.snapshot?.knownMirrors ?? []; }
  /** Problems at start the user should hear about: an unreadable config, a mirror that could not be re-assembled. */
  get startupProblems(): ErrorData[] {
    const s = this.snapshot;
    return [s?.configError, s?.assembleError].filter((e): e is ErrorData => e !== undefined);
  }
  get loaded(): boolean { return this.snapshot !== null; }
  get loadError(): string | null { return this.#loadError; }
  get connected(): boolean { return this.#connected; }
  get phase(): AppPhase { return this.#live.phase; }
  get healed(): Healed[] { return this.#live.healed; }
  get now(): number { return this.#now; }
  /** The seq of the last event applied (or of the snapshot). */
  get seq(): number { return this.#events.seq; }
  /** How many times the snapshot was fetched: once at start, then once per gap or reconnect. */
  get fetches(): number { return this.#fetches; }

  get lag(): LagHistory { return this.#live.lag; }
  get fallback(): FallbackState { return this.#live.fallback; }
  get ejects(): EjectState { return this.#live.ejects; }
  get scrub(): ScrubState { return this.#live.scrub; }
  /** Recent activity: the core's event history (issue 15, item 5). */
  get activity(): ActivityLog { return this.#live.activity; }
  /** Outside changes (issue 11, part 2): conflicts waiting for the user. */
  get conflicts(): ConflictsState { return this.#live.conflicts; }
  /** Adoption (issue 11, part 1): each resync's ETA, from its recent rate. */
  get resyncEta(): ResyncEta { return this.#live.resyncEta; }

  member(id: string): MemberStatus | undefined { return this.#live.member(id); }

  /** How fast the member takes writes, as the core measures what it really wrote (0 while unknown). */
  writeRate(memberId: string): number {
    return this.member(memberId)?.writeBytesPerSecond || 0;
  }

  /** Age of the member's oldest pending behind write, advancing with the on-screen clock. */
  oldestBehindMs(memberId: string): number {
    const since = this.#live.behindSince(memberId);
    return since === undefined ? 0 : Math.max(0, this.#now - since);
  }

  /**
   * Calls `listener` with the paths each acknowledged change touched, from this tab or any other client; [''] after
   * a refetch (events were missed: anything may have changed). Returns the unsubscribe.
   */
  onFilesChanged(listener: (paths: string[]) => void): () => void {
    this.#filesListeners.add(listener);
    return () => { this.#filesListeners.delete(listener); };
  }

  #filesChanged(paths: string[]): void {
    for (const l of [...this.#filesListeners]) l(paths);
  }

  // --- lifecycle -----------------------------------------------------------------------------------------------

  /** Subscribes to events, then fetches the first snapshot; events that arrive meanwhile are held. */
  start(): Promise<void> {
    this.#unsubscribe.push(this.#bridge.onEvent((env) => this.#events.receive(env)));
    const offConn = this.#bridge.onConnection?.((up) => {
      this.#connected = up;
      // Events sent while we were away are lost: start again from a fresh snapshot.
      if (up) void this.refetch();
    });
    if (offConn) this.#unsubscribe.push(offConn);
    if (this.#tickMs > 0) this.#ticker = setInterval(() => this.tick(), this.#tickMs);
    return this.refetch();
  }

  dispose(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    clearInterval(this.#ticker);
  }

  /** Advances the on-screen clock: ages, the chart window, and expiry of finished fallback notices. */
  tick(): void {
    this.#now = this.#clock();
    this.fallback.prune(this.#now);
  }

  /** Fetches a fresh snapshot, then applies the events held meanwhile (see EventSequencer). */
  refetch(): Promise<void> {
    return this.#events.refetch();
  }

  /** Applies one event at the clock's time. Exposed for tests; live events come in seq order through the sequencer. */
  apply(e: AppEvent): void {
    this.#now = this.#clock();
    this.#live.apply(e, this.#now);
  }

  /** The sequencer's load: fetches and adopts a snapshot, answering its seq (null when the fetch failed). */
  async #load(): Promise<number | null> {
    try {
      const snap = await this.client.call('app.snapshot');
      this.#fetches++;
      this.#loadError = null;
      this.#now = this.#clock();
      this.#live.adopt(snap, this.#now);
      if (this.#fetches > 1) this.#filesChanged(['']);
      return snap.seq;
    } catch (e) {
      this.#loadError = errorMessage(e);
      return null;
    }
  }

  // --- actions -------------------------------------------------------------------------------------------------

  async createMirror(o: MirrorOptions): Promise<void> {
    this.#live.setMirror(await this.client.call('mirror.create', o), this.#clock());
  }

  async assembleMirror(o: Omit<MirrorOptions, 'label'>): Promise<void> {
    this.#live.setMirror(await this.client.call('mirror.assemble', o), this.#clock());
  }

  async addMember(spec: MemberSpec): Promise<void> {
    await this.client.call('mirror.addMember', spec);
  }

  /** Retires a detached drive: the mirror stops keeping changes for it. */
  async forgetMember(memberId: string): Promise<void> {
    await this.client.call('mirror.forgetMember', memberId);
  }

  /** Drains every behind write and closes the mirror (like mdadm --stop); the picker then offers to assemble it again. */
  async stopMirror(): Promise<void> {
    await this.client.call('mirror.stop');
    this.#live.patch({ mirror: null });
  }

  async setNotifications(on: boolean): Promise<void> {
    await this.updateSettings({ notifications: on });
  }

  /** The settings view's save (issue 15, item 9): the core validates again and answers with the settings now. */
  async updateSettings(patch: MethodArgs<'settings.update'>[0]): Promise<AppSettings> {
    const settings = await this.client.call('settings.update', patch);
    this.#live.patch({ settings });
    return settings;
  }

  async refreshDrives(): Promise<void> {
    this.#live.patch({ drives: await this.client.call('drives.list') });
  }

  /** Drains the member's behind writes and ejects it; progress arrives as 'eject-progress' events. */
  async eject(memberId: string): Promise<void> {
    const m = this.member(memberId);
    this.ejects.begin(memberId, m?.behindWrites ?? 0, m?.behindBytes ?? 0);
    try {
      await this.client.call('mirror.eject', memberId);
    } catch (e) {
      this.ejects.fail(memberId, errorMessage(e));
    }
  }

  /** A check, or a repair of the confirmed plan's paths (all findings when none are given). */
  async runScrub(repair: boolean, paths?: string[]): Promise<void> {
    this.scrub.begin(repair);
    try {
      const r = await this.client.call('mirror.scrub', paths ? { repair, paths } : { repair });
      this.scrub.finish(r, this.#clock());
    } catch (e) {
      this.scrub.fail(errorMessage(e));
    }
  }
}
