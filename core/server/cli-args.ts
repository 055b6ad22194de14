// Command-line flags of `serve`: parsed into one typed object, or a message saying what is wrong.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ServeArgs {
  port: number;
  host: string;
  password?: string;
  configDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  demo: boolean;
  help: boolean;
  /** --webdav / --no-webdav: turn the WebDAV share on or off, and remember it; absent: as last remembered. */
  webdav?: boolean;
  /** --mount DIR / --no-mount: the mirror as a local folder at DIR (Linux, FUSE), remembered; absent: as last remembered. */
  mount?: string | null;
  /** --smb / --no-smb: the mirror as an SMB share (Samba exporting the mount), remembered; absent: as last remembered. */
  smb?: boolean;
  /** --smb-port N: the SMB share's port (default 445). */
  smbPort?: number;
}

export const USAGE = `Usage: npm run serve -- [--demo] [--port N] [--host H] [--password P] [--tls-cert FILE --tls-key FILE] [--config DIR] [--webdav]
  --port N       port to listen on (default 5178; 0 picks a free one)
  --host H       address to bind (default 127.0.0.1); any non-loopback address needs --password,
                 or a one-time token is generated and printed in the URL
  --password P   password for the login form when not on loopback
  --tls-cert F   PEM certificate (with --tls-key): serve https, so the password and files cross the LAN encrypted
  --tls-key F    PEM private key of that certificate
  --config DIR   where the app keeps its settings (default: the user's config folder)
  --demo         two folder "drives" (an SSD and a slow write-mostly USB disk) mirrored, with sample files
  --webdav       share the mirror over WebDAV at /dav/ (user "nas", the --password); remembered until --no-webdav
  --mount DIR    the mirror as a local folder at DIR (Linux, FUSE); remembered until --no-mount
  --smb          share the mirror over SMB 3 with Samba (Linux, as root; user "nas", the --password, which it needs);
                 mounts it too if no --mount was given; remembered until --no-smb
  --smb-port N   the SMB share's port (default 445)`;

export function parseServeArgs(argv: string[]): { ok: true; args: ServeArgs } | { ok: false; message: string } {
  const args: ServeArgs = { port: 5178, host: '127.0.0.1', demo: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value.`);
      return v;
    };
    try {
      switch (flag) {
        case '--demo': args.demo = true; break;
        case '--help': case '-h': args.help = true; break;
        case '--port': args.port = portOf(flag, value(), 0); break;
        case '--host': args.host = value(); break;
        case '--password': args.password = value(); break;
        case '--config': args.configDir = value(); break;
        case '--tls-cert': args.tlsCert = value(); break;
        case '--tls-key': args.tlsKey = value(); break;
        case '--webdav': args.webdav = true; break;
        case '--no-webdav': args.webdav = false; break;
        case '--mount': args.mount = value(); break;
        case '--no-mount': args.mount = null; break;
        case '--smb': args.smb = true; break;
        case '--no-smb': args.smb = false; break;
        case '--smb-port': args.smbPort = portOf(flag, value(), 1); break;
        default: throw new Error(`Unknown option ${flag}.`);
      }
    } catch (e) {
      return { ok: false, message: `${(e as Error).message}\n${USAGE}` };
    }
  }
  if ((args.tlsCert === undefined) !== (args.tlsKey === undefined)) {
    return { ok: false, message: `--tls-cert and --tls-key go together.\n${USAGE}` };
  }
  return { ok: true, args };
}

function portOf(flag: string, v: string, min: number): number {
  const port = Number(v);
  if (!/^\d+$/.test(v) || port < min || port > 65535) throw new Error(`${flag} must be a number from ${min} to 65535, not ${v}.`);
  return port;
}

/** The per-user config folder, where a desktop app would keep it (Electron uses its own userData). */
export function defaultConfigDir(): string {
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'NAS Mirror');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'NAS Mirror');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'nas-mirror');
}
