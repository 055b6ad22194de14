// The public data shapes of the engine and the drives layer: shared by core, every host and the renderer (no Node types here).

/** One member to create, open or add: a folder on a drive. */
export interface MemberSpec {
  path: string;
  writeMostly?: boolean;
  label?: string;
  /** Simulated slow drive (demo and tests): latency per operation and a bandwidth cap. */
  throttle?: { latencyMs?: number; bytesPerSecond?: number };
}

export interface MirrorOptions {
  members: MemberSpec[];
  label?: string;
  /** Write-behind limit in writes; default 256, 0 disables write-behind. cf. md max_write_behind */
  maxBehindWrites?: number;
  /** Write-behind limit in bytes; default 64 MiB. */
  maxBehindBytes?: number;
  /**
   * A member drive with calls running and none finished for this long (plus time for the bytes in flight) is failed
   * as not responding, so a hung drive cannot hang the mirror. Default 30 s (cf. the SCSI command timeout); 0 = never.
   */
  memberTimeoutMs?: number;
  /** How long an intent record stays idle before it is cleared (the journal's clear tick); default 1000 ms. Tests shorten it. */
  intentClearMs?: number;
  // -- recently deleted (issue 11, part 4) --
  /**
   * How many days deleted files (and files a rename replaced) stay recoverable; default 30, or what the mirror's
   * superblock says. 0: only until every member has the delete. A full drive deletes the oldest sooner.
   */
  deletedRetentionDays?: number;
  /** The clock of deletion times and retention, in ms (tests pass a fake one); default Date.now. */
  clock?: () => number;
  // -- outside changes (issue 11, part 2) --
  /**
   * Watch every member's folder for files changed directly on the drive, behind the app's back, and reconcile them
   * (resync/outside.ts); default true. false leaves only the open-time and periodic look and scrub to find them.
   */
  watchOutside?: boolean;
  /** How long a changed path must stay quiet before it is looked at (a copy still being written is not taken); default 1000 ms. */
  outsideSettleMs?: number;
  /** How often every member's tree is compared with its manifest by size, time and inode; default 15 min, 0 = never. */
  reconcileIntervalMs?: number;
  // -- adoption (issue 11, part 1) --
  /**
   * createMirror: the member whose files the mirror starts from (its index in `members`, or its path); they are copied
   * to the others, which must hold no files of their own. Default: the one folder that holds files.
   */
  adoptFrom?: number | string;
}

export type MemberState = 'in_sync' | 'behind' | 'resyncing' | 'faulty' | 'removed';
export type MirrorState = 'clean' | 'active' | 'degraded' | 'resyncing' | 'stopped';

export interface ResyncProgress { donePaths: number; totalPaths: number; doneBytes: number; totalBytes: number }

export interface MemberStatus {
  id: string;
  label: string;
  path: string;
  writeMostly: boolean;
  state: MemberState;
  behindWrites: number;
  behindBytes: number;
  /** Age of the oldest pending behind write, 0 when none. */
  oldestBehindMs: number;
  resync?: ResyncProgress;
  /** Paths with behind writes not yet on this member (first few, oldest first). */
  behindPaths?: string[];
  /** Measured write rate of this member in bytes per second (0 when unknown); the UI's flush ETA. */
  writeBytesPerSecond?: number;
  /** Why the member is faulty, when it is. */
  error?: string;
}

export interface MirrorStatus {
  id: string;
  label: string;
  state: MirrorState;
  members: MemberStatus[];
  maxBehindWrites?: number;
  maxBehindBytes?: number;
  /** Reads healed from another member after a read error or checksum mismatch. */
  readErrorsCorrected?: number;
  // -- recently deleted (issue 11, part 4) --
  /** How many days deleted files stay recoverable (0: until every drive has the delete). */
  deletedRetentionDays?: number;
  // -- outside changes (issue 11, part 2) --
  /** Conflicts waiting for the user (a change made outside the app on a write-mostly drive, or on two drives). */
  conflicts?: number;
  /** Problems the last scrub found that are still open (not repaired, not become a conflict). */
  openFindings?: number;
}

export type MirrorEvent =
  /** `error`: why, when it became faulty (what happened to the drive and what to do). */
  | { type: 'member-state'; memberId: string; state: MemberState; error?: string }
  /** `behindPaths`: the first few not yet on the member (as MemberStatus); `writeBytesPerSecond`: its rate now. */
  | { type: 'behind'; memberId: string; behindWrites: number; behindBytes: number; behindPaths?: string[]; writeBytesPerSecond?: number }
  | { type: 'read-fallback'; memberId: string; path: string; waitingWrites: number; waitingBytes: number }
  | { type: 'read-fallback-done'; memberId: string; path: string; waitedMs: number }
  | { type: 'resync-progress'; memberId: string; donePaths: number; totalPaths: number; doneBytes: number; totalBytes: number }
  | { type: 'read-healed'; memberId: string; path: string; reason: 'read-error' | 'checksum' }
  | { type: 'scrub-progress'; donePaths: number; totalPaths: number; mismatches: number; repaired: number; done: boolean }
  // -- outside changes (issue 11, part 2) --
  /** A change made directly on a drive was noticed: taken as a write (mirrored to the others) or kept as a conflict. */
  | { type: 'outside-change'; memberId: string; path: string; change: OutsideChangeKind; outcome: 'taken' | 'conflict'; detail?: string }
  /** The list of conflicts changed (one appeared, was resolved, or went away): `count` are open now. */
  | { type: 'conflicts-changed'; count: number }
  /** One problem a scrub found, as it is found. */
  | { type: 'scrub-finding'; finding: ScrubFinding }
  /**
   * Paths whose content or listing changed (a write, rename, delete, new folder, restore, a change taken from a
   * drive), sent once the change is acknowledged: a file view showing their folder refreshes. '' means anything.
   */
  | { type: 'files-changed'; paths: string[] };

export interface DirEntry { name: string; type: 'file' | 'dir'; size: number; mtimeMs: number }

// -- recently deleted (issue 11, part 4) --
/** A file or folder deleted (or a file replaced by a rename) that can still be restored. */
export interface DeletedEntry {
  /** The same on every drive that holds it. */
  id: string;
  /** The path it had in the mirror. */
  path: string;
  type: 'file' | 'dir';
  /** Bytes (a folder: of all its files). */
  size: number;
  /** When it was deleted, ms since the epoch. */
  deletedAt: number;
  reason: 'deleted' | 'replaced';
  /** The labels of the in-sync drives that hold it (a version kept on one drive only shows which). */
  drives: string[];
}
/** `mode`: the permission bits (0o777) as the member holds them, where its filesystem keeps them. */
export interface FileStat { type: 'file' | 'dir'; size: number; mtimeMs: number; mode?: number }
/** What a write may carry, and a metadata-only change sets, on every member: the modification time and permission bits. */
export interface FileAttrs { mtimeMs?: number; mode?: number }

export interface ScrubResult {
  checkedPaths: number;
  /** Copies found differing from what the engine wrote (findings). */
  mismatches: number;
  /** Findings repair acted on: damaged copies healed, changes on a fast drive taken as writes. */
  repaired: number;
  /** Every finding, with what repair does (or did) about it. */
  findings?: ScrubFinding[];
}

// -- outside changes and scrub findings (issue 11, part 2) --
export type OutsideChangeKind = 'added' | 'changed' | 'deleted';

/**
 * damaged: content differs from its checksum while size and time are as written (rot); changed-outside: edited
 * directly on the drive (size, time or inode differ); missing: gone from the drive; extra: on the drive, never written
 * by the mirror.
 */
export type FindingKind = 'damaged' | 'changed-outside' | 'missing' | 'extra';

/**
 * What repair does about a finding: heal (rewrite from a good copy; the bad one kept in the drive's trash), take (a
 * change on an in-sync fast drive becomes a write to the others), conflict (recorded for the user to resolve; nothing
 * on any drive changes), none (nothing can be done: no good copy is left).
 */
export type FindingAction = 'heal' | 'take' | 'conflict' | 'none';

export interface ScrubFinding {
  path: string;
  memberId: string;
  /** The drive's label. */
  drive: string;
  kind: FindingKind;
  action: FindingAction;
  /** One sentence for the user. */
  detail: string;
  /** Set by repair: what it did. */
  done?: boolean;
}

/** One drive's version of a path in conflict. */
export interface ConflictVersion {
  memberId: string;
  drive: string;
  /** This is the version the mirror wrote (what it serves now); false: changed on the drive, behind the app's back. */
  mirror: boolean;
  /** null: the path is not there (deleted on that drive). */
  type: 'file' | 'dir' | null;
  size?: number;
  mtimeMs?: number;
}

export interface Conflict {
  id: string;
  path: string;
  detectedAt: number;
  /** Why it is a conflict and not simply taken (for the user). */
  reason: string;
  versions: ConflictVersion[];
}

/**
 * keep-mirror: every drive gets the mirror's version back; take-drive: the drive's version becomes the mirror's;
 * keep-both: the drive's version is kept under a new name beside the mirror's. Whatever is replaced goes to the
 * replaced copy's own drive's trash (Recently deleted), never away.
 */
export type ConflictChoice = 'keep-mirror' | 'take-drive' | 'keep-both';

/** Error codes the engine and drives layer throw; each error also names the path and member and says what to do. */
export type MirrorErrorCode =
  | 'EINVALIDPATH' | 'ENOTFOUND' | 'ENOMEMBER' | 'EBUSY' | 'ENOSPC' | 'EREADONLY' | 'EEXIST' | 'ENOTDIR'
  | 'EISDIR' | 'EINVALIDOPTION' | 'ENESTED' | 'EDUPLICATE' | 'EFOREIGN' | 'ENOTMEMBER' | 'ENOINSYNC' | 'EIO'
  | 'ESTOPPED' | 'EUNMOUNT' | 'ETOOBIG' | 'ECHECKSUM' | 'EABORTED' | 'ETIMEDOUT' | 'ENOTRANSFER' | 'EINCOMPLETE';

export interface DriveInfo {
  mountPoint: string;
  device: string;
  label?: string;
  filesystem: string;
  sizeBytes: number;
  freeBytes: number;
  removable: boolean;
  rotational?: boolean;
  readOnly: boolean;
  system: boolean;
  member?: { mirrorId: string; memberId: string };
  /** The filesystem did not answer within seconds (a hung network share, a stuck USB bridge): sizes are unknown. */
  notResponding?: boolean;
}

// -- what a folder holds (issue 11, part 1) --
/** What a folder (or a drive's root) already holds, counted up to a limit so a huge drive answers in time. */
export interface FolderContents {
  path: string;
  /** false: the folder does not exist yet (it will be created, empty). */
  exists: boolean;
  /** The user's files and folders and their bytes: system names (system-names.ts) and .nas-mirror not counted. */
  files: number;
  folders: number;
  bytes: number;
  /** false when counting stopped at the limit or the time budget: there is more than the numbers say. */
  complete: boolean;
  /** The first few names at its top, for messages ("Photos", "Documents", …). */
  sample: string[];
  /** System names found (lost+found, .DS_Store, …): left alone, never mirrored. */
  systemNames: string[];
  /** It already holds a member of a mirror. */
  member?: { mirrorId: string; memberId: string; mirrorLabel?: string };
}

export interface PlacementIssue { memberPath: string; severity: 'error' | 'warning'; code: string; message: string }

export interface EjectProgress { phase: 'flushing' | 'unmounting' | 'done'; behindWrites: number; behindBytes: number; etaMs?: number }
