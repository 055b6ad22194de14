// The contract's handlers over one AppCore, and the one dispatch both transports (IPC, WebSocket) call:
// validate the name and arguments, run the handler, and turn anything thrown into error data.
import type { CallResult, Handlers, MethodArgs, MethodName, SharingStatus } from '../contract/contract.ts';
import { MAX_WRITE_BYTES, validateCall } from '../contract/contract.ts';
import { MirrorError } from '../contract/errors.ts';
import { toErrorData } from '../contract/errors.ts';
import type { AppCore } from './app-core.ts';

/** One message carries one whole file: refuse what would not fit rather than buffer gigabytes in memory. */
async function readWhole(core: AppCore, path: string): Promise<Uint8Array> {
  const mirror = core.requireMirror();
  const { type, size } = await mirror.stat(path);
  if (type === 'file' && size > MAX_WRITE_BYTES) {
    throw new MirrorError('ETOOBIG', `${path} is ${Math.round(size / 2 ** 20)} MiB; files.read returns at most ${MAX_WRITE_BYTES / 2 ** 20} MiB at once. Use files.downloadBegin for big files.`, { path });
  }
  return mirror.readFile(path);
}

// -- sharing (issue 13) --
/** What a host that can share the mirror (`serve`: WebDAV under /dav/) hands the handlers. */
export interface SharingControl {
  status(): SharingStatus;
  setWebdav(on: boolean): Promise<SharingStatus>;
  /** The mirror as a local folder (issue 14): on at a folder, or off; remembered. */
  setMount(o: MethodArgs<'sharing.setMount'>[0]): Promise<SharingStatus>;
}

/** A host without a share server (the desktop app, for now) says so, and how to get one. */
const NO_SHARING: SharingStatus = {
  webdav: {
    available: false, enabled: false, urls: [], user: 'nas', passwordRequired: true, tls: false, loopbackOnly: true,
    reason: 'The desktop app does not serve the share yet. Run NAS Mirror headless with `npm run serve -- --webdav` (add --host 0.0.0.0 --password … for other computers).',
  },
  // The mount and SMB (issue 14): Linux only; elsewhere the UI points to WebDAV.
  platform: process.platform,
  mount: {
    available: false, enabled: false,
    reason: process.platform === 'linux'
      ? 'The desktop app does not mount the mirror yet. Run NAS Mirror headless with `npm run serve -- --mount DIR`.'
      : 'Mounting the mirror as a folder works on Linux only; on macOS and Windows connect to the WebDAV share instead.',
  },
  smb: { enabled: false, user: 'nas' },
};

export function createHandlers(core: AppCore, hosted: { sharing?: SharingControl } = {}) {
  const sharing = hosted.sharing;
  return {
    'app.snapshot': async () => core.snapshot(),
    'drives.list': () => core.listDrives(),
    'drives.checkPlacement': (specs, o) => core.checkPlacement(specs, o),
    'drives.inspect': (path) => core.inspectFolder(path),
    'mirror.create': (o) => core.create(o),
    'mirror.assemble': (o) => core.assemble(o),
    'mirror.status': async () => core.mirror?.status() ?? null,
    'mirror.addMember': (spec) => core.addMember(spec),
    'mirror.failMember': (id) => core.failMember(id),
    'mirror.forgetMember': (id) => core.forgetMember(id),
    'mirror.eject': (id) => core.eject(id),
    'mirror.stop': () => core.stopMirror(),
    'mirror.scrub': (o) => core.scrub(o.repair, o.paths),
    'mirror.findings': async () => core.requireMirror().findings(),
    'mirror.conflicts': async () => core.requireMirror().conflicts(),
    'mirror.resolveConflict': (id, choice, memberId) => core.resolveConflict(id, choice, memberId),
    'mirror.reconcile': () => core.reconcile(),
    'files.list': (path) => core.requireMirror().readdir(path),
    'files.stat': (path) => core.requireMirror().stat(path),
    'files.read': (path) => readWhole(core, path),
    'files.write': (path, data) => core.requireMirror().writeFile(path, data),
    'files.uploadBegin': (path) => core.transfers.beginUpload(core.requireMirror(), path),
    'files.uploadChunk': (id, chunk) => core.transfers.uploadChunk(id, chunk),
    'files.uploadCommit': (id) => core.transfers.commitUpload(id),
    'files.downloadBegin': (path) => core.transfers.beginDownload(core.requireMirror(), path),
    'files.downloadChunk': (id) => core.transfers.downloadChunk(id),
    'files.transferAbort': async (id) => core.transfers.abort(id),
    'files.mkdir': (path) => core.requireMirror().mkdir(path),
    'files.remove': (path) => core.requireMirror().remove(path),
    'files.rename': (from, to, o) => core.requireMirror().rename(from, to, { replace: o?.replace === true }),
    // Recently deleted (issue 11, part 4)
    'deleted.list': () => core.requireMirror().listDeleted(),
    'deleted.restore': (id, o) => core.requireMirror().restoreDeleted(id, o),
    'deleted.purge': (which) => core.requireMirror().purgeDeleted(which),
    'settings.update': (patch) => core.updateSettings(patch),
    // -- the event history (issue 15, item 5) --
    'history.list': async (q) => core.history(q),
    // -- sharing (issue 13) --
    'sharing.status': async () => sharing?.status() ?? NO_SHARING,
    'sharing.setWebdav': async (on) => {
      if (!sharing) throw new MirrorError('EINVALIDOPTION', NO_SHARING.webdav.reason!);
      return sharing.setWebdav(on);
    },
    'sharing.setMount': async (o) => {
      if (!sharing) throw new MirrorError('EINVALIDOPTION', NO_SHARING.mount.reason!);
      return sharing.setMount(o);
    },
  } satisfies Handlers;
}

/** Typed for callers that know the method; transports pass whatever arrived (it is validated either way). */
export interface Dispatch {
  <K extends MethodName>(name: K, args: MethodArgs<K>): Promise<CallResult<K>>;
  (name: unknown, args: unknown): Promise<CallResult<MethodName>>;
}

/** Never throws and never rejects: a transport only has to send back what this returns. */
export function createDispatch(handlers: Handlers): Dispatch {
  return async (name: unknown, args: unknown): Promise<CallResult<MethodName>> => {
    const call = validateCall(name, args);
    if (!call.ok) return { ok: false, error: call.error };
    try {
      const run = handlers[call.name] as (...a: unknown[]) => Promise<unknown>;
      return { ok: true, value: await run(...call.args) } as CallResult<MethodName>;
    } catch (e) {
      return { ok: false, error: toErrorData(e) };
    }
  };
}
