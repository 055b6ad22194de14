// The renderer's live state: the app snapshot ($state.raw), kept current by events applied in seq order; a seq gap
// (or a reconnect) refetches the snapshot. Also owns lag history, fallback waits, ejects and scrub, and the actions.
import type { AppEvent, AppPhase, AppSettings, AppSnapshot, ErrorData, EventEnvelope, KnownMirrorInfo, MethodArgs } from '../../../core/contract/contract.ts';
import type { DriveInfo, MemberSpec, MemberStatus, MirrorOptions, MirrorStatus } from '../../../core/contract/types.ts';
import { Client, errorMessage } from './client.ts';
import { ActivityLog } from './activity.svelte.ts';
import { EjectState } from './eject-state.svelte.ts';
import { FallbackState } from './fallback-state.svelte.ts';
import { LagHistory } from './lag-history.svelte.ts';
import { ScrubState } from './scrub-state.svelte.ts';
import { ConflictsState } from './conflicts-state.svelte.ts';
import { ResyncEta } from './resync-eta.svelte.ts';
import type { LiveBridge } from './ws-bridge.ts';

export type { AppPhase };

export interface Healed { memberId: string; path: string; reason: 'read-error' | 'checksum'; at: number }

export interface AppStateOptions {
  /** Milliseconds clock; tests pass a fake one. */
  clock?: () => number;
  /** How often the on-screen clock advances (ages, chart window); 0 disables the ticker. */
  tickMs?: number;
}

export class AppState {
  readonly client: Client;
  readonly lag = new LagHistory();
  readonly fallback = new FallbackState();
  readonly ejects = new EjectState();
  readonly scrub = new ScrubState();
  /** Recent activity: the core's event history (issue 15, item 5). */
  readonly activity: ActivityLog;
  /** Outside changes (issue 11, part 2): conflicts waiting for the user. */
  readonly conflicts: ConflictsState;
  /** Adoption (issue 11, part 1): each resync's ETA, from its recent rate. */
  readonly resyncEta = new ResyncEta();

  #snapshot = $state.raw<AppSnapshot | null>(null);
  #loadError = $state<string | null>(null);
  #connected = $state(true);
  #phase = $state<AppPhase>('running');
  #healed = $state.raw<Healed[]>([]);
  /** When each member's oldest pending behind write was queued, on our clock. */
  #behindSince = $state.raw<Record<string, number>>({});
  #now = $state(0);
  #refetches = $state(0);

  readonly #bridge: LiveBridge;
  readonly #clock: () => number;
  readonly #tickMs: number;
  #seq = -1;
  #loading: Promise<void> | null = null;
  #buffer: EventEnvelope[] = [];
  #unsubscribe: (() => void)[] = [];
  readonly #filesListeners = new Set<(paths: string[]) => void>();
  #ticker: ReturnType<typeof setInterval> | undefined;

  constructor(bridge: LiveBridge, o: AppStateOptions = {}) {
    this.#bridge = bridge;
    this.client = new Client(bridge);
    this.conflicts = new ConflictsState(this.client);
    this.activity = new ActivityLog(this.client);
    this.#clock = o.clock ?? (() => Date.now());
    this.#tickMs = o.tickMs ?? 1000;
    this.#now = this.#clock();
  }

  // --- reading -------------------------------------------------------------------------------------------------

  get snapshot(): AppSnapshot | null { return this.#snapshot; }
  get mirror(): MirrorStatus | null { return this.#snapshot?.mirror ?? null; }
  get drives(): DriveInfo[] { return this.#snapshot?.drives ?? []; }
  get native(): boolean { return this.#snapshot?.native ?? false; }
  get demo(): boolean { return this.#snapshot?.demo ?? false; }
  get notifications(): boolean { return this.#snapshot?.settings?.notifications ?? true; }
  get settings(): AppSettings { return this.#snapshot?.settings ?? { notifications: true }; }
  /** Mirrors used before on this machine: what "assemble again" offers. */
  get knownMirrors(): KnownMirrorInfo[] { return this.#snapshot?.knownMirrors ?? []; }
  /** Problems at start the user should hear about: an unreadable config, a mirror that could not be re-assembled. */
  get startupProblems(): ErrorData[] {
    const s = this.#snapshot;
    return [s?.configError, s?.assembleError].filter((e): e is ErrorData => e !== undefined);
  }
  get loaded(): boolean { return this.#snapshot !== null; }
  get loadError(): string | null { return this.#loadError; }
  get connected(): boolean { return this.#connected; }
  get phase(): AppPhase { return this.#phase; }
  get healed(): Healed[] { return this.#healed; }
  get now(): number { return this.#now; }
  /** The seq of the last event applied (or of the snapshot). */
  get seq(): number { return this.#seq; }
  /** How many times the snapshot was fetched: once at start, then once per gap or reconnect. */
  get fetches(): number { return this.#refetches; }

  member(id: string): MemberStatus | undefined { return this.mirror?.members.find((m) => m.id === id); }

  /** How fast the member takes writes, as the core measures what it really wrote (0 while unknown). */
  writeRate(memberId: string): number {
    return this.member(memberId)?.writeBytesPerSecond || 0;
  }

  /** Age of the member's oldest pending behind write, advancing with the on-screen clock. */
  oldestBehindMs(memberId: string): number {
    const since = this.#behindSince[memberId];
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

  /** Subscribes to events, then fetches the first snapshot; events that arrive meanwhile are buffered. */
  start(): Promise<void> {
    this.#unsubscribe.push(this.#bridge.onEvent((env) => this.#receive(env)));
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

  refetch(): Promise<void> {
    this.#loading ??= this.#fetchSnapshot().finally(() => {
      this.#loading = null;
      this.#drainBuffer();
    });
    return this.#loading;
  }

  async #fetchSnapshot(): Promise<void> {
    try {
      const snap = await this.client.call('app.snapshot');
      this.#refetches++;
      this.#loadError = null;
      this.#adoptSnapshot(snap);
      // The history from the core: what happened before this page (or while events were missed).
      void this.activity.load();
      if (this.#refetches > 1) this.#filesChanged(['']);
    } catch (e) {
      this.#loadError = errorMessage(e);
    }
  }

  #adoptSnapshot(snap: AppSnapshot): void {
    const t = this.#clock();
    this.#now = t;
    this.#seq = snap.seq;
    this.#snapshot = snap;
    const since: Record<string, number> = {};
    for (const m of snap.mirror?.members ?? []) {
      if (m.behindWrites > 0) since[m.id] = t - m.oldestBehindMs;
      this.lag.record(m.id, t, m.behindWrites, m.behindBytes);
    }
    this.#behindSince = since;
    if (snap.appState) this.#phase = snap.appState;
    // An eject that was running while we were away still shows its progress.
    for (const [id, progress] of Object.entries(snap.ejecting ?? {})) this.ejects.update(id, progress);
    // Outside changes: the lists behind the counts in the status (fetched, not pushed: they can be long).
    if (snap.mirror?.conflicts) void this.conflicts.refresh();
    if (snap.mirror?.openFindings) void this.client.call('mirror.findings').then((f) => this.scrub.adopt(f), () => {});
  }

  // --- events --------------------------------------------------------------------------------------------------

  #receive(env: EventEnvelope): void {
    if (this.#loading || this.#snapshot === null) {
      this.#buffer.push(env);
      return;
    }
    if (env.seq <= this.#seq) return; // already part of the snapshot
    if (env.seq !== this.#seq + 1) {
      this.#buffer.push(env);
      void this.refetch();
      return;
    }
    this.#seq = env.seq;
    const before = this.mirror;
    this.apply(env.event);
    this.#settleEjects(before);
  }

  #drainBuffer(): void {
    if (this.#snapshot === null) return;
    const pending = this.#buffer.splice(0).sort((a, b) => a.seq - b.seq);
    for (const env of pending) {
      this.#receive(env);
      if (this.#loading) {
        // Another gap: keep the rest for after the next snapshot.
        this.#buffer.push(...pending.slice(pending.indexOf(env) + 1));
        return;
      }
    }
  }

  /** Applies one event to the snapshot and the side states. Exposed for tests; live events go through seq checks. */
  apply(e: AppEvent): void {
    const t = this.#clock();
    this.#now = t;
    switch (e.type) {
      case 'member-state': {
        const dropped = e.state === 'faulty' || e.state === 'removed';
        this.#patchMember(e.memberId, (m) => ({ ...m, state: e.state,
          ...(dropped ? { behindWrites: 0, behindBytes: 0, behindPaths: [], oldestBehindMs: 0 } : {}),
          ...(e.state === 'in_sync' ? { resync: undefined } : {}) }));
        if (dropped) this.#setBehindSince(e.memberId, 0, t);
        break;
      }
      case 'behind':
        // The paths come with the counts: a file that landed leaves "Not yet on this drive" with its count.
        this.#patchMember(e.memberId, (m) => ({ ...m, behindWrites: e.behindWrites, behindBytes: e.behindBytes,
          behindPaths: e.behindWrites === 0 ? [] : e.behindPaths ?? m.behindPaths,
          ...(e.writeBytesPerSecond !== undefined ? { writeBytesPerSecond: e.writeBytesPerSecond } : {}),
          ...(e.behindWrites === 0 ? { oldestBehindMs: 0 } : {}) }));
        this.#setBehindSince(e.memberId, e.behindWrites, t);
        this.lag.record(e.memberId, t, e.behindWrites, e.behindBytes);
        break;
      case 'read-fallback':
        this.fallback.begin(e, t, this.member(e.memberId)?.behindWrites ?? 0);
        break;
      case 'read-fallback-done':
        this.fallback.end(e, t);
        break;
      case 'resync-progress':
        this.#patchMember(e.memberId, (m) => ({ ...m,
          resync: { donePaths: e.donePaths, totalPaths: e.totalPaths, doneBytes: e.doneBytes, totalBytes: e.totalBytes } }));
        this.resyncEta.record(e.memberId, t, e);
        break;
      case 'read-healed':
        this.#healed = [...this.#healed.slice(-19), { memberId: e.memberId, path: e.path, reason: e.reason, at: t }];
        this.#patchMirror((mir) => ({ ...mir, readErrorsCorrected: (mir.readErrorsCorrected ?? 0) + 1 }));
        break;
      case 'scrub-progress':
        this.scrub.progress(e, t);
        break;
      // -- outside changes (issue 11, part 2) --
      case 'scrub-finding':
        this.scrub.found(e.finding);
        break;
      case 'conflicts-changed':
        this.#patchMirror((mir) => ({ ...mir, conflicts: e.count }));
        void this.conflicts.refresh();
        break;
      case 'outside-change':
        break; // a line in the activity log; the status follows with conflicts-changed / mirror-changed
      case 'files-changed':
        this.#filesChanged(e.paths);
        break;
      case 'eject-progress':
        this.ejects.update(e.memberId, e.progress);
        break;
      case 'drives-changed':
        if (this.#snapshot) this.#snapshot = { ...this.#snapshot, drives: e.drives };
        break;
      case 'mirror-changed':
        if (this.#snapshot) this.#snapshot = { ...this.#snapshot, mirror: e.mirror };
        for (const m of e.mirror?.members ?? []) {
          if (m.behindWrites > 0) this.#behindSince = { ...this.#behindSince, [m.id]: t - m.oldestBehindMs };
          else this.#setBehindSince(m.id, 0, t);
          this.lag.record(m.id, t, m.behindWrites, m.behindBytes);
        }
        break;
      case 'app-state':
        this.#phase = e.state;
        break;
      case 'history':
        this.activity.add(e.entry);
        break;
      case 'settings-changed':
        if (this.#snapshot) this.#snapshot = { ...this.#snapshot, settings: e.settings };
        break;
      default: {
        // Compile-time exhaustiveness; at run time an event from a newer core is ignored, not fatal.
        const unknown: never = e;
        void unknown;
      }
    }
  }

  /** A member that came back (removed or faulty → attached) is no longer "safe to remove": forget its finished eject. */
  #settleEjects(before: MirrorStatus | null): void {
    const away = (s: string | undefined) => s === 'removed' || s === 'faulty';
    for (const m of this.mirror?.members ?? []) {
      const was = before?.members.find((b) => b.id === m.id)?.state;
      if (away(was) && !away(m.state) && this.ejects.stage(m.id) === 'done') this.ejects.clear(m.id);
    }
  }

  #patchMirror(f: (m: MirrorStatus) => MirrorStatus): void {
    const s = this.#snapshot;
    if (s?.mirror) this.#snapshot = { ...s, mirror: f(s.mirror) };
  }

  #patchMember(id: string, f: (m: MemberStatus) => MemberStatus): void {
    this.#patchMirror((mir) => ({ ...mir, members: mir.members.map((m) => (m.id === id ? f(m) : m)) }));
  }

  #setBehindSince(id: string, writes: number, t: number): void {
    const has = id in this.#behindSince;
    if (writes > 0 && !has) this.#behindSince = { ...this.#behindSince, [id]: t };
    else if (writes === 0 && has) {
      const { [id]: _gone, ...rest } = this.#behindSince;
      this.#behindSince = rest;
    }
  }

  // --- actions -------------------------------------------------------------------------------------------------

  async createMirror(o: MirrorOptions): Promise<void> {
    const mirror = await this.client.call('mirror.create', o);
    this.#setMirror(mirror);
  }

  async assembleMirror(o: Omit<MirrorOptions, 'label'>): Promise<void> {
    const mirror = await this.client.call('mirror.assemble', o);
    this.#setMirror(mirror);
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
    if (this.#snapshot) this.#snapshot = { ...this.#snapshot, mirror: null };
  }

  async setNotifications(on: boolean): Promise<void> {
    await this.updateSettings({ notifications: on });
  }

  /** The settings view's save (issue 15, item 9): the core validates again and answers with the settings now. */
  async updateSettings(patch: MethodArgs<'settings.update'>[0]): Promise<AppSettings> {
    const settings = await this.client.call('settings.update', patch);
    if (this.#snapshot) this.#snapshot = { ...this.#snapshot, settings };
    return settings;
  }

  async refreshDrives(): Promise<void> {
    const drives = await this.client.call('drives.list');
    if (this.#snapshot) this.#snapshot = { ...this.#snapshot, drives };
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

  #setMirror(mirror: MirrorStatus): void {
    if (this.#snapshot) this.#snapshot = { ...this.#snapshot, mirror };
    const t = this.#clock();
    for (const m of mirror.members) this.lag.record(m.id, t, m.behindWrites, m.behindBytes);
  }
}
