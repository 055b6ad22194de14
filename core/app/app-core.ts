// AppCore: what a host (Electron main, `serve`) runs — at most one open mirror, the drives list, the saved config,
// and one numbered event stream that both transports relay. Hosts never touch the Mirror directly.
import { realpath, statfs } from 'node:fs/promises';
import type { AppSettings, AppPhase, AppSnapshot, ErrorData } from '../contract/contract.ts';
import type { DriveInfo, EjectProgress, MemberSpec, MirrorEvent, MirrorOptions, MirrorStatus, PlacementIssue, ScrubResult } from '../contract/types.ts';
import type { Mirror } from '../mirror/mirror-api.ts';
import type { CoreDeps, PlacementOptions } from './app-deps.ts';
import type { FolderContents } from '../contract/types.ts';
import type { ConflictChoice } from '../contract/types.ts';
import type { AppConfig, KnownMirror } from './config-store.ts';
import { loadConfig, saveConfig } from './config-store.ts';
import { EventHub, mergeFilesChanged } from './event-hub.ts';
import { MirrorError, toErrorData } from '../contract/errors.ts';
import { engineEject } from '../mirror/engine-eject.ts';
import { Transfers, type TransferOptions } from './transfers.ts';
import { EventHistory, type HistoryDraft } from './event-history.ts';
import { HistoryFeed } from './history-feed.ts';
import type { HistoryEntry, HistoryQuery } from '../contract/history.ts';
import { DEFAULT_SCRUB_SCHEDULE, nextScrubAt } from '../contract/scrub-schedule.ts';
import { realTimers, ScrubScheduler, type Timers } from './scrub-scheduler.ts';
import { plural } from '../contract/format-bytes.ts';

export interface AppCoreOptions {
  deps: CoreDeps;
  configDir: string;
  /** true in Electron (native folder picker, notifications). */
  native: boolean;
  demo?: boolean;
  /** 'engine': eject only drains and detaches (folder "drives"); 'drive': also unmounts and powers off. */
  ejectMode?: 'drive' | 'engine';
  /** Folder "drives" shown beside the real ones (the demo's Internal SSD and USB Backup). */
  extraDrives?: DriveInfo[];
  coalesceMs?: number;
  log?: (message: string) => void;
  transfers?: TransferOptions;
  /** After files change, the drives (and their free space) are listed again at most this often; default 10 s. */
  spaceRefreshMs?: number;
  /** The clock of the event history and the scrub schedule (ms); tests pass a fake one. Default Date.now. */
  clock?: () => number;
  /** The scrub schedule's timers; tests pass ones they fire by hand. */
  timers?: Timers;
  /** Event history entries kept (default HISTORY_LIMIT). */
  historyLimit?: number;
}

/** A folder "drive" (the demo's) with its free space now: a local folder, so statfs cannot hang. */
async function withSpace(d: DriveInfo): Promise<DriveInfo> {
  try {
    const s = await statfs(d.mountPoint);
    return { ...d, sizeBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    return d;
  }
}

export class AppCore {
  readonly events: EventHub;
  #mirror: Mirror | null = null;
  #detach: (() => void)[] = [];
  #drives: DriveInfo[] = [];
  #config!: AppConfig;
  /** The config saves, one at a time (#updateConfig). */
  #saving: Promise<void> = Promise.resolve();
  #configError: ErrorData | undefined;
  #assembleError: ErrorData | undefined;
  #appState: AppPhase = 'running';
  readonly #ejecting = new Map<string, EjectProgress>();
  /** Create/assemble/stop run one at a time, so two clicks never open two mirrors. */
  #lifecycle: Promise<unknown> = Promise.resolve();
  #unwatchDrives: () => void = () => {};
  #spaceTimer: ReturnType<typeof setTimeout> | undefined;
  #shutdown: Promise<void> | undefined;
  readonly #log: (message: string) => void;
  /** Uploads and downloads in chunks; aborted before the mirror stops, so a vanished client cannot hold it open. */
  readonly transfers: Transfers;
  // -- the event history (issue 15, item 5) and the scrub schedule (item 9) --
  readonly #clock: () => number;
  #history: EventHistory | null = null;
  readonly #feed: HistoryFeed;
  readonly #scrubs: ScrubScheduler;
  #scrubbing = false;

  private constructor(private readonly o: AppCoreOptions) {
    this.events = new EventHub(o.coalesceMs);
    this.#log = o.log ?? ((m) => console.error(m));
    this.transfers = new Transfers(o.transfers);
    this.#clock = o.clock ?? Date.now;
    this.#feed = new HistoryFeed(this.#clock, 60_000, (id) => this.#mirror?.status().members.find((m) => m.id === id)?.label);
    this.events.subscribe(({ event }) => { if (event.type !== 'history') for (const d of this.#feed.next(event)) this.#record(d); });
    this.#scrubs = new ScrubScheduler({
      clock: this.#clock, timers: o.timers ?? realTimers,
      due: () => this.#scrubDue(),
      run: async () => { await this.scrub(this.#config.settings.scrubRepair ?? true, undefined, true); },
    });
  }

  /** Loads the config, lists drives, starts watching them, and re-assembles the last mirror if it was open. */
  static async start(o: AppCoreOptions): Promise<AppCore> {
    const core = new AppCore(o);
    const loaded = await loadConfig(o.configDir);
    core.#config = loaded.config;
    core.#configError = loaded.error;
    if (loaded.error) core.#log(loaded.error.message);
    // The history lives beside the config; without it the app still runs (and says why in the log).
    core.#history = await EventHistory.open(o.configDir, { limit: o.historyLimit }).catch((e: unknown) => {
      core.#log(`The event history in ${o.configDir} cannot be kept: ${toErrorData(e).message}`);
      return null;
    });
    await core.#refreshDrives(false);
    core.#feed.seed(null, core.#drives);
    core.#unwatchDrives = o.deps.watchDrives(() => { void core.#refreshDrives(true); });
    await core.#autoAssemble();
    return core;
  }

  get mirror(): Mirror | null { return this.#mirror; }
  get appState(): AppPhase { return this.#appState; }
  get settings(): AppSettings {
    // Recently deleted (issue 11, part 4): the retention is the open mirror's (its superblock), not the app config's.
    const days = this.#mirror?.status().deletedRetentionDays;
    const known = this.#activeKnown();
    const next = this.#scrubDue();
    return {
      ...this.#config.settings,
      scrubSchedule: this.#config.settings.scrubSchedule ?? DEFAULT_SCRUB_SCHEDULE,
      scrubRepair: this.#config.settings.scrubRepair ?? true,
      ...(days !== undefined ? { deletedRetentionDays: days } : {}),
      ...(known ? definedOnly({ lastScrubAt: known.lastScrubAt, maxBehindWrites: known.maxBehindWrites, maxBehindBytes: known.maxBehindBytes, memberTimeoutMs: known.memberTimeoutMs }) : {}),
      ...(next !== null ? { nextScrubAt: next } : {}),
    };
  }

  /** The event history, newest first (issue 15, item 5). */
  history(q?: HistoryQuery): HistoryEntry[] { return this.#history?.list(q) ?? []; }

  /** The scheduled scrub running now, if one is. */
  get scheduledScrub(): Promise<void> | undefined { return this.#scrubs.running; }

  snapshot(): AppSnapshot {
    this.events.flush(); // so the snapshot's seq covers every event it reflects
    return {
      seq: this.events.seq,
      mirror: this.#mirror?.status() ?? null,
      drives: this.#drives,
      native: this.o.native,
      appState: this.#appState,
      settings: this.settings,
      demo: this.o.demo ?? false,
      ejecting: Object.fromEntries(this.#ejecting),
      configError: this.#configError,
      assembleError: this.#assembleError,
      knownMirrors: this.#config.mirrors.map((m) => ({ id: m.id, label: m.label, members: m.members })),
    };
  }

  requireMirror(): Mirror {
    if (this.#mirror) return this.#mirror;
    throw new MirrorError('ESTOPPED', this.#appState === 'running'
      ? 'No mirror is open. Create one or assemble an existing one from the Drives screen.'
      : 'The app is shutting down; the mirror is stopped.');
  }

  async listDrives(): Promise<DriveInfo[]> {
    await this.#refreshDrives(false);
    return this.#drives;
  }

  checkPlacement(specs: MemberSpec[], o?: PlacementOptions): Promise<PlacementIssue[]> {
    return this.o.deps.checkPlacement(specs, o);
  }

  /** What a folder or a drive's root already holds (the picker shows it, and offers to keep those files). */
  inspectFolder(path: string): Promise<FolderContents> {
    return this.o.deps.inspectFolder(path);
  }

  create(o: MirrorOptions): Promise<MirrorStatus> {
    return this.#exclusive(async () => {
      this.#refuseIfOpen();
      const mirror = await this.o.deps.createMirror(o);
      await this.#opened(mirror, { id: mirror.id, label: o.label, members: o.members, maxBehindWrites: o.maxBehindWrites, maxBehindBytes: o.maxBehindBytes, autoAssemble: true });
      return mirror.status();
    });
  }

  assemble(o: Omit<MirrorOptions, 'label'>): Promise<MirrorStatus> {
    return this.#exclusive(async () => {
      this.#refuseIfOpen();
      const mirror = await this.o.deps.assembleMirror({ ...this.#savedOptions(o.members), ...definedOnly(o), members: o.members });
      await this.#opened(mirror, { id: mirror.id, label: mirror.status().label, members: o.members, maxBehindWrites: o.maxBehindWrites, maxBehindBytes: o.maxBehindBytes, autoAssemble: true });
      return mirror.status();
    });
  }

  /** The user's stop: drains and closes the mirror; a restart leaves it closed until assembled again. */
  stopMirror(): Promise<void> {
    return this.#exclusive(async () => {
      const mirror = this.requireMirror();
      await this.#stopOpen(mirror);
      await this.#updateConfig((c) => {
        const known = c.mirrors.find((m) => m.id === mirror.id);
        if (known) known.autoAssemble = false;
      });
    });
  }

  async addMember(spec: MemberSpec): Promise<string> {
    const mirror = this.requireMirror();
    const id = await mirror.addMember(await this.#asBefore(mirror.id, spec));
    await this.#updateConfig((c) => {
      const known = c.mirrors.find((m) => m.id === mirror.id);
      if (known && !known.members.some((m) => m.path === spec.path)) known.members.push(spec);
    });
    this.#emitMirrorChanged();
    return id;
  }

  /** A drive added again keeps the throttle it was set up with (the demo's USB Backup stays as slow as a USB disk). */
  async #asBefore(mirrorId: string, spec: MemberSpec): Promise<MemberSpec> {
    if (spec.throttle) return spec;
    const real = (p: string) => realpath(p).catch(() => p);
    const path = await real(spec.path);
    for (const m of this.#config.mirrors.find((x) => x.id === mirrorId)?.members ?? []) {
      if (m.throttle && await real(m.path) === path) return { ...spec, throttle: m.throttle };
    }
    return spec;
  }

  async failMember(memberId: string): Promise<void> {
    await this.requireMirror().failMember(memberId);
    this.#emitMirrorChanged();
  }

  async forgetMember(memberId: string): Promise<void> {
    const mirror = this.requireMirror();
    const path = mirror.status().members.find((m) => m.id === memberId)?.path;
    await mirror.forgetMember(memberId);
    // A forgotten drive is no longer part of what a restart re-assembles.
    await this.#updateConfig((c) => {
      const known = c.mirrors.find((m) => m.id === mirror.id);
      if (known && path) known.members = known.members.filter((m) => m.path !== path);
    });
    this.#emitMirrorChanged();
  }

  async eject(memberId: string): Promise<void> {
    const mirror = this.requireMirror();
    if (this.#ejecting.has(memberId)) throw new MirrorError('EBUSY', 'This drive is already being ejected; wait for "safe to remove".', { memberId });
    let last: EjectProgress | undefined;
    const report = (progress: EjectProgress) => {
      last = progress;
      this.#ejecting.set(memberId, progress);
      this.events.emit({ type: 'eject-progress', memberId, progress });
    };
    report({ phase: 'flushing', behindWrites: 0, behindBytes: 0 });
    try {
      if (this.o.ejectMode === 'engine') await engineEject(mirror, memberId, report);
      else await this.o.deps.ejectDrive(mirror, memberId, report);
      if (last?.phase !== 'done') report({ phase: 'done', behindWrites: 0, behindBytes: 0, etaMs: 0 });
    } finally {
      this.#ejecting.delete(memberId);
      this.#emitMirrorChanged();
    }
  }

  /** A scrub; a full one (no paths) that finishes is the schedule's last run. Its start and result enter the history. */
  async scrub(repair: boolean, paths?: string[], scheduled = false): Promise<ScrubResult> {
    const mirror = this.requireMirror();
    // Refused before it enters the history: a scheduled scrub meeting the user's is not news (the engine refuses too).
    if (this.#scrubbing) throw new MirrorError('EBUSY', 'A scrub is already running; wait for it to finish.');
    this.#scrubbing = true;
    const what = `${scheduled ? 'Scheduled ' : ''}${repair ? 'repair' : 'check'}`;
    const title = what[0]!.toUpperCase() + what.slice(1);
    try {
      this.#record({ kind: 'scrub-start', tone: 'neutral', title: `${title} started`,
        message: paths ? `${title} of ${plural(paths.length, 'path')} started.` : `${title} started: every file on every drive is compared with what the mirror wrote.` });
      const r = await mirror.scrub({ repair, paths });
      const open = r.mismatches - r.repaired;
      this.#record({ kind: 'scrub-result', tone: open > 0 ? 'warn' : 'ok', notify: scheduled && open > 0, title: `${title} finished`,
        message: `${title} finished: ${plural(r.checkedPaths, 'file')} compared, ${plural(r.mismatches, 'mismatch', 'mismatches')}, ${r.repaired} repaired.`
          + (open > 0 ? ' Open Scrub to see what is left and why.' : '') });
      if (!paths) await this.#scrubbed(mirror.id);
      return r;
    } catch (e) {
      this.#record({ kind: 'scrub-result', tone: 'bad', notify: scheduled, title: `${title} stopped`, message: `${title} stopped: ${toErrorData(e).message}` });
      throw e;
    } finally {
      this.#scrubbing = false;
      this.#emitMirrorChanged(); // its open findings are in the status (the header never says Healthy over them)
    }
  }

  // -- outside changes (issue 11, part 2) --
  async resolveConflict(id: string, choice: ConflictChoice, memberId?: string): Promise<void> {
    await this.requireMirror().resolveConflict(id, choice, memberId);
    this.#emitMirrorChanged();
  }

  /** Looks at every drive for changes made behind the app's back now, instead of at the next periodic look. */
  async reconcile(): Promise<void> {
    await this.requireMirror().reconcile();
    this.#emitMirrorChanged();
  }

  async updateSettings(patch: SettingsPatch): Promise<AppSettings> {
    const { deletedRetentionDays, maxBehindWrites, maxBehindBytes, memberTimeoutMs, ...app } = patch;
    const forMirror = definedOnly({ maxBehindWrites, maxBehindBytes, memberTimeoutMs });
    // Refused before anything changes: the mirror's options need an open mirror.
    const mirror = deletedRetentionDays !== undefined || Object.keys(forMirror).length > 0 ? this.requireMirror() : null;
    // Recently deleted (issue 11, part 4): the retention goes to the mirror, recorded in every member's superblock.
    if (mirror && deletedRetentionDays !== undefined) {
      await mirror.setDeletedRetention(deletedRetentionDays);
      this.#emitMirrorChanged();
    }
    await this.#updateConfig((c) => {
      Object.assign(c.settings, definedOnly(app));
      // The engine takes these when it opens the mirror: saved now, they apply at its next start.
      const known = mirror && c.mirrors.find((m) => m.id === mirror.id);
      if (known) Object.assign(known, forMirror);
    });
    this.#scrubs.arm();
    this.#emitSettings();
    return this.settings;
  }

  /** Quit: "flushing" while the mirror drains its behind writes (like mdadm --stop), then "stopped". Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#setAppState('flushing');
      this.#scrubs.stop();
      this.#unwatchDrives();
      clearTimeout(this.#spaceTimer);
      try {
        await this.#exclusive(async () => {
          if (this.#mirror) await this.#stopOpen(this.#mirror);
        });
      } finally {
        this.#setAppState('stopped');
        this.events.flush();
        await this.#history?.close();
      }
    })();
    return this.#shutdown;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lifecycle.then(fn, fn);
    this.#lifecycle = run.catch(() => {});
    return run;
  }

  #refuseIfOpen(): void {
    if (this.#appState !== 'running') throw new MirrorError('ESTOPPED', 'The app is shutting down.');
    if (this.#mirror) {
      throw new MirrorError('EBUSY', `The mirror "${this.#mirror.status().label}" is open. Stop it before creating or assembling another.`);
    }
  }

  async #opened(mirror: Mirror, known: KnownMirror): Promise<void> {
    this.#mirror = mirror;
    this.#assembleError = undefined;
    this.#detach = [mirror.onEvent((e) => this.#relay(e))];
    if (this.o.deps.attachHotplug) {
      this.#detach.push(this.o.deps.attachHotplug(mirror, (e) => this.#log(`Hot-plug: ${toErrorData(e).message}`)));
    }
    this.#emitMirrorChanged();
    await this.#updateConfig((c) => {
      // What was saved for it before (its options, its scrub dates) stays unless this open says otherwise.
      const before = c.mirrors.find((m) => m.id === known.id);
      c.mirrors = [...c.mirrors.filter((m) => m.id !== known.id), { scrubFrom: this.#clock(), ...before, ...definedOnly(known), id: known.id, members: known.members, autoAssemble: known.autoAssemble }];
      c.activeMirrorId = known.id;
    });
    this.#scrubs.arm();
    this.#emitSettings(); // the open mirror's options and scrub dates
  }

  /** Transfers first (a vanished client must not hold the mirror open), then the mirror's own drain-and-stop. */
  async #stopOpen(mirror: Mirror): Promise<void> {
    await this.transfers.abortAll();
    await mirror.stop();
    this.#closed();
  }

  #closed(): void {
    for (const off of this.#detach.splice(0)) off();
    this.#mirror = null;
    this.events.emit({ type: 'mirror-changed', mirror: null });
    this.#scrubs.arm();
    this.#emitSettings();
  }

  async #autoAssemble(): Promise<void> {
    const known = this.#config.mirrors.find((m) => m.id === this.#config.activeMirrorId);
    if (!known?.autoAssemble) return;
    try {
      await this.assemble({ members: known.members, ...definedOnly({ maxBehindWrites: known.maxBehindWrites, maxBehindBytes: known.maxBehindBytes, memberTimeoutMs: known.memberTimeoutMs }) });
    } catch (e) {
      const error = toErrorData(e);
      this.#assembleError = { ...error, message: `Could not re-assemble the mirror ${known.label ?? known.id}: ${error.message}` };
      this.#log(this.#assembleError.message);
    }
  }

  /** Progress events are coalesced (only the latest counts); state changes go out at once with a fresh status. */
  #relay(e: MirrorEvent): void {
    switch (e.type) {
      case 'behind': this.events.emitCoalesced(`behind:${e.memberId}`, e); break;
      case 'resync-progress': this.events.emitCoalesced(`resync:${e.memberId}`, e); break;
      case 'scrub-progress': if (e.done) this.events.emit(e); else this.events.emitCoalesced('scrub', e); break;
      case 'member-state': this.events.emit(e); this.#emitMirrorChanged(); break;
      case 'conflicts-changed': this.events.emit(e); this.#emitMirrorChanged(); break;
      case 'files-changed': this.events.emitCoalesced('files', e, mergeFilesChanged); this.#spaceChanged(); break;
      default: this.events.emit(e);
    }
  }

  #emitMirrorChanged(): void {
    this.events.emit({ type: 'mirror-changed', mirror: this.#mirror?.status() ?? null });
  }

  #setAppState(state: AppPhase): void {
    this.#appState = state;
    this.events.emit({ type: 'app-state', state });
  }

  async #refreshDrives(announce: boolean): Promise<void> {
    const before = JSON.stringify(this.#drives);
    try {
      this.#drives = [...(await Promise.all((this.o.extraDrives ?? []).map(withSpace))), ...(await this.o.deps.listDrives())];
    } catch (e) {
      this.#log(`Could not list drives: ${toErrorData(e).message}`);
      return;
    }
    if (announce && JSON.stringify(this.#drives) !== before) this.events.emit({ type: 'drives-changed', drives: this.#drives });
  }

  /**
   * Writes use space: the drives are listed again (their free space is the dashboard's, and the capacity warning's)
   * spaceRefreshMs after a change, at most once per spaceRefreshMs while changes go on — never per write.
   */
  #spaceChanged(): void {
    if (this.#spaceTimer !== undefined || this.#shutdown) return;
    this.#spaceTimer = setTimeout(() => {
      this.#spaceTimer = undefined;
      void this.#refreshDrives(true);
    }, this.o.spaceRefreshMs ?? 10_000);
    this.#spaceTimer.unref?.(); // a refresh of the free space never keeps the process alive
  }

  // -- the event history and the scrub schedule --

  /** Adds an entry to the history and tells every client (and the desktop notifications) about it. */
  #record(draft: HistoryDraft): void {
    const at = this.#clock();
    const entry = this.#history?.append(draft, at) ?? { id: 0, at, ...draft };
    this.events.emit({ type: 'history', entry });
  }

  #activeKnown(): KnownMirror | undefined {
    const id = this.#mirror?.id;
    return id === undefined ? undefined : this.#config.mirrors.find((m) => m.id === id);
  }

  /** The options saved for the mirror these members belong to (the settings view's): what assembling it again uses. */
  #savedOptions(members: MemberSpec[]): Partial<MirrorOptions> {
    const paths = new Set(members.map((m) => m.path));
    const known = this.#config.mirrors.find((k) => k.members.some((m) => paths.has(m.path)));
    return known ? definedOnly({ maxBehindWrites: known.maxBehindWrites, maxBehindBytes: known.maxBehindBytes, memberTimeoutMs: known.memberTimeoutMs }) : {};
  }

  #scrubDue(): number | null {
    const known = this.#activeKnown();
    if (!known || this.#appState !== 'running') return null;
    return nextScrubAt(this.#config.settings.scrubSchedule ?? DEFAULT_SCRUB_SCHEDULE, known.lastScrubAt, known.scrubFrom ?? this.#clock());
  }

  async #scrubbed(mirrorId: string): Promise<void> {
    const at = this.#clock();
    await this.#updateConfig((c) => {
      const known = c.mirrors.find((m) => m.id === mirrorId);
      if (known) known.lastScrubAt = at;
    });
    this.#scrubs.arm();
    this.#emitSettings();
  }

  #emitSettings(): void {
    this.events.emit({ type: 'settings-changed', settings: this.settings });
  }

  /**
   * A failed save does not undo what the user did; it is reported in the snapshot instead. Saves run one at a time,
   * each writing the config as it is when it starts: two at once could land out of order (each a whole-file atomic
   * replacement), leaving an older config on disk than the one in use.
   */
  async #updateConfig(change: (c: AppConfig) => void): Promise<void> {
    const next = structuredClone(this.#config);
    change(next);
    this.#config = next;
    const save = this.#saving.then(() => saveConfig(this.o.configDir, this.#config));
    this.#saving = save.catch(() => {});
    try {
      await save;
    } catch (e) {
      this.#configError = { code: 'ECONFIG', message: `Could not save settings in ${this.o.configDir}: ${toErrorData(e).message}. The mirror works, but the app will not remember it after a restart.` };
      this.#log(this.#configError.message);
    }
  }
}

/** The settings a client may change (settings.update's argument). */
export type SettingsPatch = Partial<Pick<AppSettings, 'notifications' | 'deletedRetentionDays' | 'scrubSchedule' | 'scrubRepair' | 'maxBehindWrites' | 'maxBehindBytes' | 'memberTimeoutMs'>>;

/** The object without its undefined fields (a patch's absent fields change nothing). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
