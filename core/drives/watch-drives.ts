// watchDrives: turns mount-table changes into 'added' / 'removed' drive events by comparing listings.
import type { DriveInfo } from '../contract/types.ts';
import { listDrives } from './list-drives.ts';
import { platformTrigger, type TriggerFactory } from './mount-triggers.ts';

export interface DriveChange { type: 'added' | 'removed'; drive: DriveInfo }

/** The unsubscribe function; `ready` resolves once the baseline is taken and changes from then on are reported. */
export type Unwatch = (() => void) & { ready: Promise<void> };

/** watchDrives' handle: also says when the listings asked for so far are done (what a test awaits). */
export type DriveWatch = Unwatch & { idle(): Promise<void> };

export interface WatchOptions {
  list?: () => Promise<DriveInfo[]>;
  trigger?: TriggerFactory;
  /** Listing failures (a tool timing out) are reported here and the watch goes on. */
  onError?: (e: unknown) => void;
}

/** A drive is the same drive while the same device is mounted at the same place. */
const keyOf = (d: DriveInfo) => `${d.device}\n${d.mountPoint}`;

export function diffDrives(before: Map<string, DriveInfo>, after: DriveInfo[]): { changes: DriveChange[]; next: Map<string, DriveInfo> } {
  const next = new Map(after.map((d) => [keyOf(d), d]));
  const changes: DriveChange[] = [];
  for (const [k, d] of before) if (!next.has(k)) changes.push({ type: 'removed', drive: d });
  for (const [k, d] of next) if (!before.has(k)) changes.push({ type: 'added', drive: d });
  return { changes, next };
}

export function watchDrives(listener: (e: DriveChange) => void, o: WatchOptions = {}): DriveWatch {
  const list = o.list ?? (() => listDrives());
  let known: Map<string, DriveInfo> | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  // One listing at a time; a change seen during a listing asks for exactly one more (mounts come in bursts).
  const refresh = (): void => {
    if (stopped) return;
    if (running || known === undefined) { again = true; return; }
    running = (async () => {
      do {
        again = false;
        try {
          const { changes, next } = diffDrives(known!, await list());
          if (stopped) return;
          known = next;
          for (const c of changes) listener(c);
        } catch (e) {
          o.onError?.(e);
        }
      } while (again && !stopped);
    })().finally(() => { running = undefined; });
  };

  const trigger = (o.trigger ?? platformTrigger())(refresh);
  // The baseline is taken only once the trigger is armed, so no change can fall between the two.
  const ready = trigger.ready
    .then(() => list())
    .then((drives) => {
      known = new Map(drives.map((d) => [keyOf(d), d]));
    })
    .catch((e) => { known = new Map(); o.onError?.(e); })
    .then(() => { if (again) refresh(); });
  const unwatch = () => { stopped = true; trigger.stop(); };
  // A listing asked for while one runs is taken by the same loop, so once `running` is unset nothing is pending.
  const idle = async () => { await ready; while (running) await running; };
  return Object.assign(unwatch, { ready, idle });
}
