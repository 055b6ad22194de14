// attachHotplug: a returning drive's member is re-added (catch-up), a vanished drive's member is failed at once.
import { isAtOrInside } from '../mirror/paths.ts';
import type { DriveInfo } from '../contract/types.ts';
import type { Mirror } from '../mirror/mirror-api.ts';
import { findMembersOnDrive } from './member-probe.ts';
import { watchDrives, type DriveChange, type Unwatch, type WatchOptions } from './watch-drives.ts';

export interface HotplugOptions {
  watch?: (listener: (e: DriveChange) => void) => Unwatch;
  /** A re-add or fail that the engine refused (reported, never thrown: the watcher goes on). */
  onError?: (e: unknown) => void;
  watchOptions?: WatchOptions;
}

export function attachHotplug(mirror: Mirror, o: HotplugOptions = {}): Unwatch {
  const report = o.onError ?? (() => {});
  // One change at a time, in order: a drive pulled and pushed back quickly must be failed before it is re-added.
  let chain = Promise.resolve();
  const enqueue = (job: () => Promise<void>) => { chain = chain.then(job).catch(report); };

  const onRemoved = async (drive: DriveInfo) => {
    // Recognised by path here on purpose: the superblock is gone with the drive. Ejected ('removed') members are done.
    const gone = mirror.status().members.filter((m) => m.path && m.state !== 'removed' && m.state !== 'faulty' && isAtOrInside(m.path, drive.mountPoint));
    for (const m of gone) await mirror.failMember(m.id, 'unplugged').catch(report);
  };
  const onAdded = async (drive: DriveInfo) => {
    for (const found of await findMembersOnDrive(drive.mountPoint)) {
      if (found.mirrorId !== mirror.id) continue;
      // Recognised by superblock, never by path: the drive may come back at another mount point.
      const m = mirror.status().members.find((x) => x.id === found.memberId);
      if (m && m.state !== 'removed' && m.state !== 'faulty') continue;
      await mirror.addMember({ path: found.path, ...(m ? { writeMostly: m.writeMostly, label: m.label } : {}) }).catch(report);
    }
  };

  const listener = (e: DriveChange) => enqueue(() => (e.type === 'added' ? onAdded(e.drive) : onRemoved(e.drive)));
  return (o.watch ?? ((l) => watchDrives(l, o.watchOptions)))(listener);
}
