// `serve`'s mount and SMB share: the flags remembered in sharing.json (--mount DIR, --smb, --smb-port), the FUSE mount
// of the mirror, and Samba exporting it; started after the server, stopped before the mirror.
import { join, resolve } from 'node:path';
import type { Mirror } from '../index.ts';
import { mountMirror, type MirrorMount } from '../app/fuse/mount.ts';
import { loadSharingSettings, saveSharingSettings, type SharingSettings } from './dav/sharing.ts';
import { sambaUnavailable, startSamba, type RunningSamba } from './smb/samba.ts';

export interface LocalShareArgs { mount?: string | null; smb?: boolean; smbPort?: number; host: string; password?: string }

export interface LocalShares {
  /** The ready lines to print: `Mounted at DIR`, `SMB share \\HOST\NAME on port N`. */
  readonly lines: string[];
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
export async function startLocalShares(o: { configDir: string; mirror: () => Mirror | null; args: LocalShareArgs; log: (m: string) => void }): Promise<LocalShares> {
  const { configDir, args, log } = o;
  const settings = await remember(configDir, args);
  const lines: string[] = [];
  let mount: MirrorMount | undefined;
  let samba: RunningSamba | undefined;
  const stop = async () => {
    await samba?.stop();
    await mount?.unmount();
  };
  try {
    const smbWhy = settings.smb ? await sambaUnavailable(args.password) : null;
    if (smbWhy) log(`The SMB share stays off: ${smbWhy}`);
    const dir = settings.mount ?? (settings.smb && !smbWhy ? join(configDir, 'mount') : undefined);
    if (dir) {
      try {
        mount = await mountMirror({ dir, mirror: o.mirror, fallbackStagingDir: join(configDir, 'mount-staging'), log });
        lines.push(`Mounted at ${mount.dir}`);
      } catch (e) {
        if (args.mount || args.smb) throw e;
        log(`The mirror is not mounted: ${(e as Error).message}`);
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
      }
    }
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  return { lines, stop };
}
