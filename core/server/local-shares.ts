// `serve`'s mount and SMB share: the flags remembered in sharing.json (--mount DIR, --smb, --smb-port), the FUSE mount
// of the mirror (also switched on and off from the Sharing section), and Samba exporting it; started after the server,
// stopped before the mirror.
import { join, resolve } from 'node:path';
import type { Mirror } from '../index.ts';
import type { SharingStatus } from '../contract/contract.ts';
import { MirrorError } from '../contract/errors.ts';
import { checkMountFolder, placeMembers } from '../app/fuse/mount-folder.ts';
import { mountMirror, mountUnavailable, type MirrorMount } from '../app/fuse/mount.ts';
import { loadSharingSettings, saveSharingSettings, type SharingSettings } from './dav/sharing.ts';
import { SMB_USER, sambaUnavailable, startSamba, type RunningSamba } from './smb/samba.ts';

export interface LocalShareArgs { mount?: string | null; smb?: boolean; smbPort?: number; host: string; password?: string }

export interface LocalShares {
  /** The ready lines to print: `Mounted at DIR`, `SMB share \\HOST\NAME on port N`. */
  readonly lines: string[];
  /** What the Sharing section shows of the mount and the SMB share. */
  status(): Pick<SharingStatus, 'mount' | 'smb'>;
  /** The Sharing section's mount switch: mounts at `dir` (checked first) or unmounts, and remembers it. */
  setMount(o: { on: true; dir: string } | { on: false }): Promise<void>;
  /** Stops Samba, then unmounts (what programs left staged is committed): nothing new comes in through either. */
  stop(): Promise<void>;
}

/** Refuses at once what can never work: --smb without a password, on another OS, without Samba. */
export async function localSharesRefusal(args: LocalShareArgs): Promise<string | null> {
  return args.smb ? sambaUnavailable(args.password) : null;
}

/** --mount / --no-mount, --smb / --no-smb and --smb-port change what is remembered; absent flags keep it. */
async function remember(configDir: string, args: LocalShareArgs): Promise<SharingSettings> {
  const saved = await loadSharingSettings(configDir);
  const next: SharingSettings = { ...saved };
  if (args.mount === null) delete next.mount;
  else if (args.mount !== undefined) next.mount = resolve(args.mount);
  if (args.smb === false) delete next.smb;
  else if (args.smb) next.smb = true;
  if (args.smbPort !== undefined) next.smbPort = args.smbPort;
  if (JSON.stringify(next) !== JSON.stringify(saved)) await saveSharingSettings(configDir, next);
  return next;
}

/**
 * Mounts the mirror where asked (the SMB share mounts it on its own, in the config folder, when no folder was given)
 * and starts Samba over the mount. A share asked for on this command line that cannot start is an error; one only
 * remembered is logged and left off.
 */
export async function startLocalShares(o: {
  configDir: string; mirror: () => Mirror | null; args: LocalShareArgs; log: (m: string) => void;
  /** The drives list (a mount folder on a member's removable drive is refused); absent: that check is skipped. */
  drives?: () => Promise<readonly { mountPoint: string; system: boolean }[]>;
}): Promise<LocalShares> {
  const { configDir, args, log } = o;
  const settings = await remember(configDir, args);
  const lines: string[] = [];
  const mountAvailable = await mountUnavailable();
  let smbOff: string | undefined;
  let mountStartWhy: string | undefined;
  let mount: MirrorMount | undefined;
  let samba: RunningSamba | undefined;
  const stop = async () => {
    await samba?.stop();
    await mount?.unmount();
  };
  try {
    const smbWhy = settings.smb ? await sambaUnavailable(args.password) : null;
    if (smbWhy) { log(`The SMB share stays off: ${smbWhy}`); smbOff = smbWhy; }
    const dir = settings.mount ?? (settings.smb && !smbWhy ? join(configDir, 'mount') : undefined);
    if (dir) {
      try {
        mount = await mountMirror({ dir, mirror: o.mirror, fallbackStagingDir: join(configDir, 'mount-staging'), log });
        lines.push(`Mounted at ${mount.dir}`);
      } catch (e) {
        if (args.mount || args.smb) throw e;
        log(`The mirror is not mounted: ${(e as Error).message}`);
        mountStartWhy = (e as Error).message;
      }
    }
    if (mount && settings.smb && !smbWhy) {
      try {
        samba = await startSamba({
          dataDir: join(configDir, 'samba'), shareDir: mount.dir, mirrorName: o.mirror()?.status().label ?? 'NAS Mirror',
          port: settings.smbPort ?? 445, host: args.host, password: args.password!, log,
        });
        lines.push(`SMB share ${samba.unc} on port ${samba.port}`);
      } catch (e) {
        if (args.smb) throw e;
        log(`The SMB share is off: ${(e as Error).message}`);
        smbOff = (e as Error).message;
      }
    }
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  /** Why the mount is off although asked for (at start, or by the switch), shown beside the switch. */
  let mountWhy = mountStartWhy;
  let lastDir = settings.mount;
  let busy: Promise<unknown> = Promise.resolve();
  const setMount = async (want: { on: true; dir: string } | { on: false }) => {
    if (!want.on) {
      if (samba) throw new MirrorError('EBUSY', 'The SMB share exports this mount: restart the server with --no-smb first, then turn the mount off.');
      await mount?.unmount();
      mount = undefined;
      mountWhy = undefined;
      await saveSharingSettings(configDir, withoutMount(await loadSharingSettings(configDir)));
      log('Unmounted the mirror.');
      return;
    }
    const dir = resolve(want.dir);
    if (mount?.dir === dir) return;
    if (samba) throw new MirrorError('EBUSY', `The SMB share exports the mount at ${mount!.dir}: restart the server with --no-smb to move it.`);
    // The platform first (nothing else matters off Linux), then the folder, then what this computer lacks.
    if (process.platform !== 'linux') throw new MirrorError('EINVALIDOPTION', (await mountUnavailable())!);
    const drives = await (o.drives?.() ?? Promise.resolve([])).catch(() => []);
    await checkMountFolder(dir, placeMembers(o.mirror()?.status().members ?? [], drives));
    const why = await mountUnavailable();
    if (why) throw new MirrorError('EINVALIDOPTION', why);
    lastDir = dir;
    const next = await mountMirror({ dir, mirror: o.mirror, fallbackStagingDir: join(configDir, 'mount-staging'), log })
      .catch((e: Error) => { mountWhy = e.message; throw new MirrorError('EINVALIDOPTION', e.message, { path: dir }); });
    await mount?.unmount();
    mount = next;
    mountWhy = undefined;
    await saveSharingSettings(configDir, { ...(await loadSharingSettings(configDir)), mount: dir });
    log(`Mounted at ${dir}`);
  };
  return {
    lines,
    status: () => ({
      mount: {
        available: mountAvailable === null, enabled: mount !== undefined,
        ...(mount ? { dir: mount.dir } : lastDir ? { dir: lastDir } : {}),
        ...(mountAvailable ? { reason: mountAvailable } : mountWhy && !mount ? { reason: mountWhy } : {}),
      },
      smb: {
        enabled: samba !== undefined, user: SMB_USER,
        ...(samba ? { unc: samba.unc, port: samba.port } : smbOff ? { reason: smbOff } : {}),
      },
    }),
    // One switch at a time: a second click waits for the first to finish.
    setMount: (want) => { const next = busy.then(() => setMount(want)); busy = next.catch(() => {}); return next; },
    stop: async () => { await busy; await stop(); },
  };
}

function withoutMount(s: SharingSettings): SharingSettings {
  const { mount: _, ...rest } = s;
  return rest;
}
