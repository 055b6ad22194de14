// The SMB share: a Samba smbd this app owns, exporting the FUSE mount of the mirror (so every byte still goes through
// the engine). Its own smb.conf and private/lock/state folders under the app's data folder, SMB 3 only, one user
// "nas" with the server's password, loopback unless the server is bound to the LAN; started and stopped with the app.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { networkInterfaces, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isLoopbackHost } from '../auth.ts';

/** The one SMB user; it maps to the user this app runs as, who owns the mount. */
export const SMB_USER = 'nas';

export interface SambaOptions {
  /** The app's folder for Samba: smb.conf, passwords, locks, state (created). */
  dataDir: string;
  /** What is shared: the mirror's FUSE mount. */
  shareDir: string;
  /** The mirror's name; made into a share name every client accepts. */
  mirrorName: string;
  port: number;
  /** The server's bind address: loopback keeps the share on this computer; anything else serves the LAN. */
  host: string;
  password: string;
  log?: (m: string) => void;
}

export interface RunningSamba {
  readonly port: number;
  readonly shareName: string;
  /** How to reach it: \\HOST\NAME. */
  readonly unc: string;
  stop(): Promise<void>;
}

/** Why the share cannot be served here, or null. */
export async function sambaUnavailable(password: string | undefined): Promise<string | null> {
  if (process.platform !== 'linux') return 'The SMB share runs on Linux only (Samba); on macOS and Windows use the WebDAV share.';
  if (password === undefined) return 'The SMB share needs a password: start the server with --password (the SMB user is "nas").';
  if (process.getuid?.() !== 0) return 'The SMB share needs the server to run as root: Samba switches to the share\'s user for every file.';
  for (const tool of ['smbd', 'smbpasswd']) {
    if (!(await which(tool))) return `${tool} is not installed: install Samba (apt-get install samba).`;
  }
  return null;
}

async function which(tool: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = join(dir, tool);
    if (await access(p).then(() => true, () => false)) return p;
  }
  return null;
}

/** A share name every client takes: letters, digits, dot, dash, underscore; at most 80 characters. */
export function shareNameOf(mirrorName: string): string {
  // Accents dropped ("für" → "fur"), anything else between words becomes one dash.
  const name = mirrorName.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  return name || 'NAS-Mirror';
}

/** smb.conf for this share; every path is ours, nothing of the system's Samba is used. */
export function sambaConfig(o: { dataDir: string; shareDir: string; shareName: string; port: number; host: string; unixUser: string }): string {
  const d = (n: string) => join(o.dataDir, n);
  const lan = !isLoopbackHost(o.host);
  const everywhere = o.host === '0.0.0.0' || o.host === '::' || o.host === '';
  return `# Written by NAS Mirror at every start; changes here are lost. The share exports the mirror's FUSE mount.
[global]
  server role = standalone server
  workgroup = WORKGROUP
  server string = NAS Mirror
  disable netbios = yes
  smb ports = ${o.port}
  ${lan ? (everywhere ? 'bind interfaces only = no' : `interfaces = ${o.host}\n  bind interfaces only = yes`) : 'interfaces = 127.0.0.1\n  bind interfaces only = yes'}
  server min protocol = SMB3
  server smb encrypt = desired
  private dir = ${d('private')}
  lock directory = ${d('lock')}
  state directory = ${d('state')}
  cache directory = ${d('cache')}
  pid directory = ${d('pid')}
  ncalrpc dir = ${d('ncalrpc')}
  passdb backend = tdbsam:${d('private/passdb.tdb')}
  username map = ${d('users.map')}
  map to guest = Never
  restrict anonymous = 2
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  unix extensions = no
  log level = 1

[${o.shareName}]
  path = ${o.shareDir}
  read only = no
  browseable = yes
  valid users = ${o.unixUser}
  # The mount keeps no extended attributes, no DOS attributes and no links; locks stay in Samba.
  ea support = no
  store dos attributes = no
  map archive = no
  map readonly = no
  follow symlinks = no
  wide links = no
  kernel oplocks = no
  # A client's flush is an fsync through the mount: it returns once the file is durable on every fast drive.
  strict sync = yes
  create mask = 0644
  directory mask = 0755
`;
}

/**
 * File descriptors this process would pass to a child: open without close-on-exec above stdio. libfuse's /dev/fuse
 * connection is one: a child holding it keeps a dead mount hanging after a crash instead of failing fast.
 */
async function leakingFds(): Promise<number[]> {
  const out: number[] = [];
  for (const n of await readdir('/proc/self/fdinfo').catch(() => [] as string[])) {
    const fd = Number(n);
    if (!(fd > 2)) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '');
    const flags = /flags:\s*([0-7]+)/.exec(info)?.[1];
    if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) out.push(fd);
  }
  return out;
}

/** An smbd a crash of this app left running (its pid file is in our folder): stopped before ours starts. */
async function stopLeftover(pidDir: string, log: (m: string) => void): Promise<void> {
  for (const f of await readdir(pidDir).catch(() => [] as string[])) {
    if (!f.endsWith('.pid')) continue;
    const pid = Number((await readFile(join(pidDir, f), 'utf8').catch(() => '')).trim());
    if (!(pid > 1)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.includes('smbd') || !cmd.includes(pidDir.replace(/\/pid$/, ''))) continue;
    log(`Stopping the smbd (pid ${pid}) a previous run left behind.`);
    try { process.kill(pid, 'SIGTERM'); } catch { continue; }
    await waitGone(pid);
  }
}

/** Resolves once `pid` has exited. It is no child of ours, so no event says so: its /proc entry is looked at. */
async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (!(await access(`/proc/${pid}`).then(() => true, () => false))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

/** Writes the config, sets the user's password, starts smbd and resolves once it accepts connections. */
export async function startSamba(o: SambaOptions): Promise<RunningSamba> {
  const log = o.log ?? (() => {});
  const shareName = shareNameOf(o.mirrorName);
  const unixUser = userInfo().username;
  for (const d of ['private', 'lock', 'state', 'cache', 'pid', 'ncalrpc']) await mkdir(join(o.dataDir, d), { recursive: true, mode: 0o700 });
  await stopLeftover(join(o.dataDir, 'pid'), log);
  const conf = join(o.dataDir, 'smb.conf');
  await writeFile(conf, sambaConfig({ dataDir: o.dataDir, shareDir: o.shareDir, shareName, port: o.port, host: o.host, unixUser }), { mode: 0o600 });
  // The SMB user "nas" is this app's own user on the box, with the server's password (set anew at every start).
  await writeFile(join(o.dataDir, 'users.map'), `${unixUser} = ${SMB_USER}\n`, { mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    const p = execFile('smbpasswd', ['-c', conf, '-s', '-a', unixUser], (err, _out, stderr) => (err ? reject(new Error(`smbpasswd failed: ${stderr || err.message}`)) : resolve()));
    p.stdin!.end(`${o.password}\n${o.password}\n`);
  });

  // smbd runs under a small shell script that stops it when this app's end of its stdin closes — on stop, or when the app
  // dies, even by SIGKILL. Descriptors libfuse left inheritable are closed first: smbd must not hold the mount's
  // connection. (smbd itself gets /dev/null as stdin: on a socket it would think it was started by inetd.)
  const fds = await leakingFds();
  const script = `${fds.length ? `exec ${fds.map((fd) => `${fd}>&-`).join(' ')}; ` : ''}` +
    '"$0" -F --no-process-group -s "$1" --debug-stdout -d 2 </dev/null & pid=$!; ' +
    'trap \'kill $pid 2>/dev/null\' TERM; read -r _; kill $pid 2>/dev/null; wait $pid';
  // bash: POSIX sh only redirects descriptors 0 to 9. Its own process group: smbd signals its whole group when it
  // stops, which must not reach this app (nor whoever started it).
  const child: ChildProcess = spawn((await which('bash')) ?? '/bin/sh', ['-c', script, (await which('smbd'))!, conf],
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`smbd did not start (${why}):\n${lines.slice(-15).join('\n')}`));
    void exited.then((code) => fail(`exited with ${code}`));
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (/waiting for connections/.test(line)) resolve();
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
  });
  const host = isLoopbackHost(o.host) ? '127.0.0.1' : o.host === '0.0.0.0' || o.host === '::' ? lanAddress() ?? o.host : o.host;
  let stopped: Promise<void> | undefined;
  return {
    port: o.port, shareName, unc: `\\\\${host}\\${shareName}`,
    stop() {
      stopped ??= (async () => {
        child.stdin!.end();
        const code = await exited;
        if (code !== 0 && code !== null && code !== 143) log(`smbd ended with ${code}.`);
      })();
      return stopped;
    },
  };
}

function lanAddress(): string | undefined {
  return Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
}
