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
}

export type MirrorEvent =
  | { type: 'member-state'; memberId: string; state: MemberState }
  | { type: 'behind'; memberId: string; behindWrites: number; behindBytes: number }
  | { type: 'read-fallback'; memberId: string; path: string; waitingWrites: number; waitingBytes: number }
  | { type: 'read-fallback-done'; memberId: string; path: string; waitedMs: number }
  | { type: 'resync-progress'; memberId: string; donePaths: number; totalPaths: number; doneBytes: number; totalBytes: number }
  | { type: 'read-healed'; memberId: string; path: string; reason: 'read-error' | 'checksum' }
  | { type: 'scrub-progress'; donePaths: number; totalPaths: number; mismatches: number; repaired: number; done: boolean };

export interface DirEntry { name: string; type: 'file' | 'dir'; size: number; mtimeMs: number }
export interface FileStat { type: 'file' | 'dir'; size: number; mtimeMs: number }

export interface ScrubResult { checkedPaths: number; mismatches: number; repaired: number }

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

export interface PlacementIssue { memberPath: string; severity: 'error' | 'warning'; code: string; message: string }

export interface EjectProgress { phase: 'flushing' | 'unmounting' | 'done'; behindWrites: number; behindBytes: number; etaMs?: number }
