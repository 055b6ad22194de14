// The one contract between the UI and the core: each method's argument schema and result type, and the pushed events.
// Both transports (Electron IPC, WebSocket) carry exactly this; handlers in core `satisfies Handlers`.
import { z } from 'zod';
import type {
  DirEntry, DriveInfo, EjectProgress, FileStat, MemberSpec, MirrorEvent, MirrorStatus, PlacementIssue, ScrubResult,
} from './types.ts';
import type { FolderContents } from './types.ts';
import type { DeletedEntry } from './types.ts';
import type { Conflict, ScrubFinding } from './types.ts';
import { historyQuerySchema, type HistoryEntry } from './history.ts';
import { SCRUB_SCHEDULES, type ScrubSchedule } from './scrub-schedule.ts';

const relPath = z.string().max(4096);
/** A recently deleted entry's id (core/mirror/trash.ts): `${time}-${hex}`. */
const trashId = z.string().regex(/^\d{10,16}-[0-9a-f]{4,32}$/, 'not a recently deleted entry id');
/** Longest retention of recently deleted files, in days (the engine checks it too: core/mirror/recently-deleted.ts). */
export const MAX_RETENTION_DAYS = 3650;
/** Largest single files.write payload; bigger uploads are refused with EBADARGS (the WebSocket frame limit follows it). */
export const MAX_WRITE_BYTES = 64 * 1024 * 1024;
/** Largest chunk of a chunked transfer (files.uploadChunk, files.downloadChunk), for files bigger than one message. */
export const CHUNK_BYTES = 8 * 1024 * 1024;
/** Chunks of one upload a client may keep in flight (the core holds at most this many per upload). */
export const UPLOAD_DEPTH = 2;
const transferId = z.string().regex(/^[0-9a-f-]{36}$/, 'not a transfer id');
const absPath = z.string().min(1).max(4096);
const memberId = z.string().min(1).max(128);
/** A folder to mount the mirror at (issue 14): absolute, on this computer. */
const mountDir = z.string().min(1).max(4096).refine((p) => p.startsWith('/'), 'must be an absolute path (starting with /)')
  .refine((p) => !p.includes('\0'), 'must not contain a NUL character');

export const memberSpecSchema = z.strictObject({
  path: absPath,
  writeMostly: z.boolean().optional(),
  label: z.string().max(200).optional(),
  throttle: z.strictObject({
    latencyMs: z.number().min(0).max(600_000).optional(),
    bytesPerSecond: z.number().positive().optional(),
  }).optional(),
});

/** Longest member timeout the settings accept: one hour (0 = never fail a drive for not answering). */
export const MAX_MEMBER_TIMEOUT_MS = 3_600_000;

const limits = {
  maxBehindWrites: z.number().int().min(0).max(1_000_000).optional(),
  maxBehindBytes: z.number().int().min(0).optional(),
};

// -- adoption (issue 11, part 1): whose files a new mirror starts from, and what a folder already holds --
/** A member's index in the list, or its folder. */
const adoptFrom = z.union([z.number().int().min(0).max(15), absPath]).optional();
const placementOptions = z.strictObject({ adoptFrom: z.number().int().min(0).max(15).optional(), adding: z.boolean().optional() });

/** Argument tuples, validated at runtime by every transport before a handler runs. */
export const methodArgs = {
  'app.snapshot': z.tuple([]),
  'drives.list': z.tuple([]),
  'drives.checkPlacement': z.tuple([z.array(memberSpecSchema).min(1).max(16), placementOptions.optional()]),
  'drives.inspect': z.tuple([absPath]),
  'mirror.create': z.tuple([z.strictObject({ members: z.array(memberSpecSchema).min(2).max(16), label: z.string().max(200).optional(), adoptFrom, ...limits })]),
  'mirror.assemble': z.tuple([z.strictObject({ members: z.array(memberSpecSchema).min(1).max(16), ...limits })]),
  'mirror.status': z.tuple([]),
  'mirror.addMember': z.tuple([memberSpecSchema]),
  'mirror.failMember': z.tuple([memberId]),
  'mirror.forgetMember': z.tuple([memberId]),
  'mirror.eject': z.tuple([memberId]),
  'mirror.stop': z.tuple([]),
  // Outside changes (issue 11, part 2): repair may be limited to the paths of the plan the user confirmed.
  'mirror.scrub': z.tuple([z.strictObject({ repair: z.boolean(), paths: z.array(relPath).max(1_000_000).optional() })]),
  'mirror.findings': z.tuple([]),
  'mirror.conflicts': z.tuple([]),
  'mirror.resolveConflict': z.tuple([z.string().min(1).max(64), z.enum(['keep-mirror', 'take-drive', 'keep-both']), memberId.optional()]),
  'mirror.reconcile': z.tuple([]),
  'files.list': z.tuple([relPath]),
  'files.stat': z.tuple([relPath]),
  'files.read': z.tuple([relPath]),
  'files.write': z.tuple([relPath, z.instanceof(Uint8Array).refine((b) => b.byteLength <= MAX_WRITE_BYTES, 'file too large for one upload')]),
  'files.uploadBegin': z.tuple([relPath]),
  'files.uploadChunk': z.tuple([transferId, z.instanceof(Uint8Array).refine((b) => b.byteLength <= CHUNK_BYTES, 'chunk larger than CHUNK_BYTES')]),
  'files.uploadCommit': z.tuple([transferId]),
  'files.downloadBegin': z.tuple([relPath]),
  'files.downloadChunk': z.tuple([transferId]),
  'files.transferAbort': z.tuple([transferId]),
  'files.mkdir': z.tuple([relPath]),
  'files.remove': z.tuple([relPath]),
  // No silent overwrite (issue 11, part 3): renaming onto an existing file is refused (EEXIST) unless replace is true.
  'files.rename': z.tuple([relPath, relPath, z.strictObject({ replace: z.boolean().optional() }).optional()]),
  // Recently deleted (issue 11, part 4).
  'deleted.list': z.tuple([]),
  'deleted.restore': z.tuple([trashId, z.strictObject({ to: relPath.optional(), replace: z.boolean().optional() }).optional()]),
  'deleted.purge': z.tuple([z.union([trashId, z.literal('all')])]),
  'settings.update': z.tuple([z.strictObject({ notifications: z.boolean().optional(),
    deletedRetentionDays: z.number().int().min(0).max(MAX_RETENTION_DAYS).optional(),
    // The settings view (issue 15, item 9): the scrub schedule, and engine options saved for the next start.
    scrubSchedule: z.enum(SCRUB_SCHEDULES).optional(),
    scrubRepair: z.boolean().optional(),
    ...limits,
    memberTimeoutMs: z.number().int().min(0).max(MAX_MEMBER_TIMEOUT_MS).optional() })]),
  // -- the event history (issue 15, item 5) --
  'history.list': z.tuple([historyQuerySchema.optional()]),
  // -- sharing (issue 13): the WebDAV share's switch and addresses --
  'sharing.status': z.tuple([]),
  'sharing.setWebdav': z.tuple([z.boolean()]),
  // -- sharing (issue 14): the FUSE mount's switch; the folder is checked further where it is mounted --
  'sharing.setMount': z.tuple([z.union([z.strictObject({ on: z.literal(true), dir: mountDir }), z.strictObject({ on: z.literal(false) })])]),
} as const;

export type MethodName = keyof typeof methodArgs;
export type MethodArgs<K extends MethodName> = z.infer<(typeof methodArgs)[K]>;

export type AppPhase = 'running' | 'flushing' | 'stopped';

/** User settings persisted with the config. */
export interface AppSettings {
  notifications: boolean;
  /** Recently deleted (issue 11, part 4): the open mirror's retention in days (kept in its superblock, not the config). */
  deletedRetentionDays?: number;
  // -- the settings view (issue 15, item 9) --
  /** How often the app scrubs the open mirror by itself; default monthly. */
  scrubSchedule?: ScrubSchedule;
  /** A scheduled scrub repairs what it finds (as Repair does: nothing it did not write is overwritten); default true. */
  scrubRepair?: boolean;
  /** The open mirror's last full scrub and the next scheduled one (ms since the epoch); absent when none. */
  lastScrubAt?: number;
  nextScrubAt?: number;
  /**
   * The open mirror's saved write-behind limits and member timeout: what its next start uses (the engine takes them
   * when it opens the mirror). Absent: the engine's default.
   */
  maxBehindWrites?: number;
  maxBehindBytes?: number;
  memberTimeoutMs?: number;
}

/** What the app knows right now; the renderer's starting point and what it refetches after an event gap. */
export interface AppSnapshot {
  seq: number;
  mirror: MirrorStatus | null;
  drives: DriveInfo[];
  /** true in the Electron app (native folder picker, notifications); false in `serve`. */
  native: boolean;
  appState?: AppPhase;
  settings?: AppSettings;
  /** true when running the demo (folder "drives", simulated slow USB member). */
  demo?: boolean;
  /** Ejects in progress, by member id, so a refetch after a gap still shows their progress. */
  ejecting?: Record<string, EjectProgress>;
  /** The saved config could not be read (the app started without it); say so and what to do. */
  configError?: ErrorData;
  /** The last mirror could not be re-assembled at start (e.g. a drive is missing). */
  assembleError?: ErrorData;
  /** Mirrors this app has created or assembled before, with their members: what "assemble again" offers. */
  knownMirrors?: KnownMirrorInfo[];
}

export interface KnownMirrorInfo { id: string; label?: string; members: MemberSpec[] }

export interface MethodResults {
  'app.snapshot': AppSnapshot;
  'drives.list': DriveInfo[];
  'drives.checkPlacement': PlacementIssue[];
  'drives.inspect': FolderContents;
  'mirror.create': MirrorStatus;
  'mirror.assemble': MirrorStatus;
  'mirror.status': MirrorStatus | null;
  'mirror.addMember': string;
  'mirror.failMember': void;
  'mirror.forgetMember': void;
  'mirror.eject': void;
  'mirror.stop': void;
  'mirror.scrub': ScrubResult;
  'mirror.findings': ScrubFinding[];
  'mirror.conflicts': Conflict[];
  'mirror.resolveConflict': void;
  'mirror.reconcile': void;
  'files.list': DirEntry[];
  'files.stat': FileStat;
  'files.read': Uint8Array;
  'files.write': void;
  'files.uploadBegin': string;
  'files.uploadChunk': { received: number };
  'files.uploadCommit': void;
  'files.downloadBegin': { id: string; size: number };
  'files.downloadChunk': Uint8Array;
  'files.transferAbort': void;
  'files.mkdir': void;
  'files.remove': void;
  'files.rename': void;
  'deleted.list': DeletedEntry[];
  /** The path the entry was restored to. */
  'deleted.restore': string;
  'deleted.purge': void;
  'settings.update': AppSettings;
  /** Newest first. */
  'history.list': HistoryEntry[];
  // -- sharing (issue 13) --
  'sharing.status': SharingStatus;
  'sharing.setWebdav': SharingStatus;
  'sharing.setMount': SharingStatus;
}

export type Handlers = { [K in MethodName]: (...args: MethodArgs<K>) => Promise<MethodResults[K]> };

// -- sharing (issue 13) --
/** The ways other computers reach the mirror, as the Sharing section shows them. */
export interface SharingStatus {
  webdav: {
    /** This host can serve the share; when false, `reason` says why (and what to do). */
    available: boolean;
    enabled: boolean;
    /** Addresses to connect to, best first (each LAN address when the server listens beyond this computer). */
    urls: string[];
    /** The user name to sign in with; the password is the server's. */
    user: string;
    passwordRequired: boolean;
    tls: boolean;
    /** Only this computer can connect (the server is bound to loopback). */
    loopbackOnly: boolean;
    reason?: string;
  };
  // -- issue 14 --
  /** The host's operating system (process.platform of `serve` or the Electron main): the mount and SMB are Linux only. */
  platform: string;
  /** The mirror as a local folder (FUSE). */
  mount: {
    /** This host can mount it; when false, `reason` says why and what to do. */
    available: boolean;
    enabled: boolean;
    /** Where it is mounted (while enabled), or the folder last asked for. */
    dir?: string;
    reason?: string;
  };
  /** The SMB share (Samba exporting the mount); turned on and off with `serve --smb` / `--no-smb`. */
  smb: {
    enabled: boolean;
    /** \\HOST\NAME, while enabled. */
    unc?: string;
    port?: number;
    user: string;
    /** Why it is off (when it was asked for but could not start, or cannot run on this host). */
    reason?: string;
  };
}

/** Events pushed to the UI: the engine's plus the app's own. */
export type AppEvent =
  | MirrorEvent
  | { type: 'eject-progress'; memberId: string; progress: EjectProgress }
  | { type: 'drives-changed'; drives: DriveInfo[] }
  | { type: 'mirror-changed'; mirror: MirrorStatus | null }
  | { type: 'app-state'; state: AppPhase }
  /** A new entry in the event history (issue 15, item 5). */
  | { type: 'history'; entry: HistoryEntry }
  /** The settings changed (from any client, or a scheduled scrub ran): what the settings view shows (issue 15, item 9). */
  | { type: 'settings-changed'; settings: AppSettings };

/** Every event carries a sequence number; a gap means the client missed something and must refetch the snapshot. */
export interface EventEnvelope { seq: number; event: AppEvent }

/** Errors cross every transport as data, never as thrown objects. */
export interface ErrorData { code: string; message: string; path?: string; memberId?: string }
export type CallResult<K extends MethodName> = { ok: true; value: MethodResults[K] } | { ok: false; error: ErrorData };

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methodArgs, name);
}

/** Validates a method name and its arguments; returns a typed error instead of throwing. */
export function validateCall(name: unknown, args: unknown):
  { ok: true; name: MethodName; args: unknown[] } | { ok: false; error: ErrorData } {
  if (!isMethodName(name)) return { ok: false, error: { code: 'EUNKNOWNMETHOD', message: `Unknown method ${JSON.stringify(String(name)).slice(0, 80)}.` } };
  const parsed = methodArgs[name].safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: { code: 'EBADARGS', message: `Bad arguments for ${name}: ${issue?.path.join('.') || 'arguments'}: ${issue?.message}.` } };
  }
  return { ok: true, name, args: parsed.data as unknown[] };
}
