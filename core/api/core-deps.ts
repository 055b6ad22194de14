// The production CoreDeps: the engine and the drives layer from core/index.ts.
import type { CoreDeps } from './app-deps.ts';
import { createMirror, openMirror } from '../index.ts';

export function coreDeps(): CoreDeps {
  return {
    createMirror,
    openMirror,
    // TODO(drives issue): replace with listDrives/watchDrives/checkPlacement/ejectDrive once core/drives lands.
    listDrives: async () => [],
    watchDrives: () => () => {},
    checkPlacement: async () => [],
    ejectDrive: async (mirror, memberId) => mirror.eject(memberId),
  };
}
