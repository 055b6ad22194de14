// What the renderer knows of the core: the app snapshot ($state.raw) and the states kept beside it (lag history,
// fallback waits, ejects, scrub, conflicts, activity, resync ETAs), and how one event changes each of them.
import type { AppEvent, AppPhase, AppSnapshot } from '../../../core/contract/contract.ts';
import type { MemberStatus, MirrorStatus } from '../../../core/contract/types.ts';
import type { Client } from './client.ts';
import { ActivityLog } from './activity.svelte.ts';
import { EjectState } from './eject-state.svelte.ts';
import { FallbackState } from './fallback-state.svelte.ts';
import { LagHistory } from './lag-history.svelte.ts';
import { ScrubState } from './scrub-state.svelte.ts';
import { ConflictsState } from './conflicts-state.svelte.ts';
import { ResyncEta } from './resync-eta.svelte.ts';

export interface Healed { memberId: string; path: string; reason: 'read-error' | 'checksum'; at: number }

/** The parts of the snapshot an action's answer replaces (a mirror opened or stopped, the drives, the settings). */
export type SnapshotPatch = Partial<Pick<AppSnapshot, 'mirror' | 'drives' | 'settings'>>;

export class LiveSnapshot {
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
  #phase = $state<AppPhase>('running');
  #healed = $state.raw<Healed[]>([]);
  /** When each member's oldest pending behind write was queued, on our clock. */
  #behindSince = $state.raw<Record<string, number>>({});

  readonly #client: Client;
  readonly #filesChanged: (paths: string[]) => void;

  /** `filesChanged` hears the paths each 'files-changed' event names. */
  constructor(client: Client, filesChanged: (paths: string[]) => void) {
    this.#client = client;
    this.#filesChanged = filesChanged;
    this.conflicts = new ConflictsState(client);
    this.activity = new ActivityLog(client);
  }

  get snapshot(): AppSnapshot | null { return this.#snapshot; }
  get mirror(): MirrorStatus | null { return this.#snapshot?.mirror ?? null; }
  get phase(): AppPhase { return this.#phase; }
  get healed(): Healed[] { return this.#healed; }

  member(id: string): MemberStatus | undefined { return this.mirror?.members.find((m) => m.id === id); }

  /** When the member's oldest pending behind write was queued, on our clock; undefined when none is pending. */
  behindSince(memberId: string): number | undefined { return this.#behindSince[memberId]; }

  /** Takes a fresh snapshot (`t`: now), and reloads the lists that are fetched rather than pushed. */
  adopt(snap: AppSnapshot, t: number): void {
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
    if (snap.mirror?.openFindings) void this.#client.call('mirror.findings').then((f) => this.scrub.adopt(f), () => {});
    // The history from the core: what happened before this page (or while events were missed).
    void this.activity.load();
  }

  /** Replaces what an action's answer says is now so (no-op before the first snapshot). */
  patch(part: SnapshotPatch): void {
    if (this.#snapshot) this.#snapshot = { ...this.#snapshot, ...part };
  }

  /** A mirror an action opened (created or assembled): shown now, its members' lag charted from `t`. */
  setMirror(mirror: MirrorStatus, t: number): void {
    this.patch({ mirror });
    for (const m of mirror.members) this.lag.record(m.id, t, m.behindWrites, m.behindBytes);
  }

  /** Applies one event, in seq order, at time `t`. */
  apply(e: AppEvent, t: number): void {
    const before = this.mirror;
    this.#apply(e, t);
    this.#settleEjects(before);
  }

  #apply(e: AppEvent, t: number): void {
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
        this.patch({ drives: e.drives });
        break;
      case 'mirror-changed':
        this.patch({ mirror: e.mirror });
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
        this.patch({ settings: e.settings });
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
}
