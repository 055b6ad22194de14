// The Sharing settings of `serve`: whether the WebDAV share is on (remembered in the config folder), the addresses to
// give other computers, and the switches the UI's Sharing section turns (WebDAV; the mount, through LocalShares).
import { mkdir, readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { NodeFs, MirrorError } from '../../index.ts';
import type { SharingStatus } from '../../contract/contract.ts';
import type { SharingControl } from '../../app/handlers.ts';
import { isLoopbackHost } from '../auth.ts';
import { DAV_PREFIX } from './dav-paths.ts';
import type { DavService } from './dav-route.ts';
import { DAV_USER } from './dav-route.ts';
import type { LocalShares } from '../local-shares.ts';
import { SMB_USER } from '../smb/samba.ts';

/** What is remembered: the WebDAV share, the folder the mirror is mounted at (FUSE), the SMB share and its port. */
export interface SharingSettings { webdav: boolean; mount?: string; smb?: boolean; smbPort?: number }

const FILE = 'sharing.json';

/** The saved settings; a missing or unreadable file means everything off (a share is only ever on by choice). */
export async function loadSharingSettings(dir: string): Promise<SharingSettings> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, FILE), 'utf8')) as Partial<SharingSettings>;
    return {
      webdav: parsed.webdav === true,
      ...(typeof parsed.mount === 'string' && parsed.mount !== '' ? { mount: parsed.mount } : {}),
      ...(parsed.smb === true ? { smb: true } : {}),
      ...(Number.isInteger(parsed.smbPort) ? { smbPort: parsed.smbPort } : {}),
    };
  } catch {
    return { webdav: false };
  }
}

export async function saveSharingSettings(dir: string, s: SharingSettings): Promise<void> {
  await mkdir(dir, { recursive: true });
  const w = await new NodeFs().createAtomic(join(dir, FILE), dir);
  try {
    await w.write(Buffer.from(`${JSON.stringify(s, null, 2)}\n`));
    await w.commit();
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
}

/** Why the share cannot be served on this bind, or null: beyond loopback it needs the server's password (Basic auth). */
export function webdavRefusal(host: string, password: string | undefined): string | null {
  return !isLoopbackHost(host) && password === undefined
    ? 'The server listens beyond this computer without a password, so the share would be open to anyone on the network. Restart it with --password.'
    : null;
}

/** The share's addresses: this computer's own name for a loopback bind, each LAN address for a wildcard bind. */
export function shareUrls(o: { host: string; port: number; tls: boolean }): string[] {
  const scheme = o.tls ? 'https' : 'http';
  const at = (h: string) => `${scheme}://${h.includes(':') ? `[${h}]` : h}:${o.port}${DAV_PREFIX}/`;
  if (o.host !== '0.0.0.0' && o.host !== '::' && o.host !== '') return [at(isLoopbackHost(o.host) ? '127.0.0.1' : o.host)];
  const lan = Object.values(networkInterfaces()).flat()
    .filter((a) => a !== undefined && !a.internal && a.family === 'IPv4').map((a) => at(a!.address));
  return [...lan, at('127.0.0.1')];
}

export interface ServerSharingOptions {
  dav: DavService;
  configDir: string;
  host: string;
  password?: string;
  tls: boolean;
  /** The port, once the server listens. */
  port(): number;
  /** The mount and the SMB share (issue 14), once started. */
  local?: () => LocalShares | undefined;
  log?: (m: string) => void;
}

/** Before the mount and the SMB share have started (a moment after the server listens). */
const LOCAL_STARTING: Pick<SharingStatus, 'mount' | 'smb'> = {
  mount: { available: false, enabled: false, reason: 'The mount is starting; look again in a moment.' },
  smb: { enabled: false, user: SMB_USER },
};

/** The Sharing section's switch in `serve`: turns /dav/ on or off at once, and remembers it. */
export class ServerSharing implements SharingControl {
  readonly #o: ServerSharingOptions;
  constructor(o: ServerSharingOptions) { this.#o = o; }

  status(): SharingStatus {
    const o = this.#o;
    const reason = webdavRefusal(o.host, o.password);
    return {
      webdav: {
        available: reason === null,
        enabled: o.dav.enabled,
        urls: shareUrls({ host: o.host, port: o.port(), tls: o.tls }),
        user: DAV_USER,
        passwordRequired: o.password !== undefined || !isLoopbackHost(o.host),
        tls: o.tls,
        loopbackOnly: isLoopbackHost(o.host),
        ...(reason ? { reason } : {}),
      },
      platform: process.platform,
      ...(o.local?.()?.status() ?? LOCAL_STARTING),
    };
  }

  /** The Sharing section's mount switch (issue 14): see LocalShares.setMount. */
  async setMount(want: { on: true; dir: string } | { on: false }): Promise<SharingStatus> {
    const local = this.#o.local?.();
    if (!local) throw new MirrorError('EBUSY', LOCAL_STARTING.mount.reason!);
    await local.setMount(want);
    return this.status();
  }

  async setWebdav(on: boolean): Promise<SharingStatus> {
    const reason = webdavRefusal(this.#o.host, this.#o.password);
    if (on && reason) throw new MirrorError('EINVALIDOPTION', reason);
    await saveSharingSettings(this.#o.configDir, { ...(await loadSharingSettings(this.#o.configDir)), webdav: on });
    if (!on) this.#o.dav.abortAll();
    this.#o.dav.enabled = on;
    this.#o.log?.(on ? `WebDAV share on at ${this.status().webdav.urls[0]}` : 'WebDAV share off.');
    return this.status();
  }
}
