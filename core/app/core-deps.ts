// The production CoreDeps: the engine and the drives layer from core/index.ts.
import type { CoreDeps } from './app-deps.ts';
import { attachHotplug, checkPlacement, createMirror, ejectDrive, inspectFolder, listDrives, assembleMirror, watchDrives } from '../index.ts';

export function coreDeps(): CoreDeps {
  return {
    createMirror,
    assembleMirror,
    listDrives: () => listDrives(),
    watchDrives: (listener) => watchDrives(listener),
    checkPlacement: (specs, o) => checkPlacement(specs, o),
    inspectFolder: (path) => inspectFolder(path),
    ejectDrive: (mirror, memberId, onProgress) => ejectDrive(mirror, memberId, onProgress),
    attachHotplug: (mirror, onError) => attachHotplug(mirror, { onError }),
  };
}
