// The WebDAV share in-process for tests: a real mirror on temp folders behind the real server (startServer with its
// DavService), and a raw HTTP client that sends paths and methods exactly as given (fetch would normalise them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createMirror, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FaultyFs } from './fs/faulty-fs.ts';
import { defaultConfig, saveConfig } from '../../core/app/config-store.ts';
import { EventHub } from '../../core/app/event-hub.ts';
import type { Dispatch } from '../../core/app/handlers.ts';
import { LoginLimiter } from '../../core/server/auth.ts';
import { DavService } from '../../core/server/dav/dav-route.ts';
import { startServer, type RunningServer } from '../../core/server/server.ts';
import { tempDir } from './tmp.ts';

type T = Parameters<typeof tempDir>[0];

export interface DavMirror { m: Mirror; dir: string; fastFs: FaultyFs; usbFs: FaultyFs; A: string; B: string }

/** A mirror of a fast member and a write-mostly one, each over a FaultyFs a test can yank, fill or hang. */
export async function davMirror(t: T, o: { throttle?: EngineMemberSpec['throttle']; base?: string } = {}): Promise<DavMirror> {
  const dir = await tempDir(t, 'nasm-dav-', o.base);
  const fastFs = new FaultyFs(new NodeFs());
  const usbFs = new FaultyFs(new NodeFs());
  const A = join(dir, 'A'), B = join(dir, 'B');
  const m = await createMirror({
    members: [
      { path: A, label: 'SSD', fs: fastFs } as EngineMemberSpec,
      { path: B, label: 'USB', writeMostly: true, fs: usbFs, ...(o.throttle ? { throttle: o.throttle } : {}) } as EngineMemberSpec,
    ],
  });
  t.after(() => m.stop().catch(() => {}));
  return { m, dir, fastFs, usbFs, A, B };
}

export interface DavReply { status: number; headers: IncomingHttpHeaders; body: Buffer; text: string }

export interface DavClient {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** http://127.0.0.1:PORT/dav/ */
  base: string;
  port: number;
  dav: DavService;
  server: RunningServer;
  /** One request; `path` is sent as written (no normalisation), relative to the origin. */
  req(method: string, path: string, o?: { headers?: Record<string, string>; body?: string | Buffer | Readable; auth?: string }): Promise<DavReply>;
}

const noDispatch: Dispatch = (async () => ({ ok: false, error: { code: 'ENOTIMPL', message: 'not in this test' } })) as Dispatch;

/** Starts the server with the share on, over `mirror` (or none: the share answers 503). */
export async function davServer(t: T, o: {
  mirror: Mirror | null | (() => Mirror | null); password?: string; requireAuth?: boolean; limiter?: LoginLimiter; stateDir?: string;
}): Promise<DavClient> {
  const stateDir = o.stateDir ?? await tempDir(t, 'nasm-davstate-');
  const mirror = typeof o.mirror === 'function' ? o.mirror : () => o.mirror as Mirror | null;
  const dav = await DavService.create({ mirror, stateDir, enabled: true, log: () => {} });
  const server = await startServer({
    host: '127.0.0.1', port: 0, staticRoot: stateDir, dispatch: noDispatch, events: new EventHub(1), log: () => {}, webdav: dav,
    ...(o.password !== undefined ? { password: o.password } : {}), ...(o.requireAuth ? { requireAuth: true } : {}),
    loginLimiter: o.limiter ?? new LoginLimiter(),
  });
  t.after(() => server.close());
  const origin = `http://127.0.0.1:${server.port}`;
  const auth = o.password !== undefined ? `Basic ${Buffer.from(`nas:${o.password}`).toString('base64')}` : undefined;
  return {
    origin, base: `${origin}/dav/`, port: server.port, dav, server,
    req: (method, path, r = {}) => send(server.port, method, path, { ...r, auth: r.auth ?? auth }),
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function send(port: number, method: string, path: string, o: { headers?: Record<string, string>; body?: string | Buffer | Readable; auth?: string } = {}): Promise<DavReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(o.auth ? { Authorization: o.auth } : {}), ...o.headers };
    if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) headers['Content-Length'] ??= String(Buffer.byteLength(o.body));
    const rq = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    rq.on('error', reject);
    if (o.body === undefined) rq.end();
    else if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) rq.end(o.body);
    else o.body.pipe(rq);
  });
}

export const XML = { 'Content-Type': 'application/xml; charset=utf-8' };

/** The hrefs a 207 lists (their paths, decoded), in order. */
export function hrefs(xml: string): string[] {
  return [...xml.matchAll(/<(?:\w+:)?href>([^<]*)<\/(?:\w+:)?href>/g)].map((m) => decodeURIComponent(new URL(m[1]!, 'http://x').pathname));
}

// ── `serve --webdav` as a process ───────────────────────────────────────────────────────────────────────────────

export interface DavServe {
  child: ChildProcess;
  /** The UI's URL (first line) and the share's (second line, `WebDAV share at …`). */
  url: string;
  davUrl: string;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * A config folder whose saved mirror (two members in `dir`, the second write-mostly unless `fastPair`) `serve` re-assembles at start,
 * as after a restart of a NAS that was set up before.
 */
export async function savedMirror(dir: string, o: { throttle?: EngineMemberSpec['throttle']; fastPair?: boolean } = {}): Promise<{ config: string; members: string[] }> {
  const members = [join(dir, 'ssd'), join(dir, o.fastPair ? 'ssd2' : 'usb')];
  const specs = [{ path: members[0]!, label: 'SSD' }, o.fastPair ? { path: members[1]!, label: 'SSD 2' }
    : { path: members[1]!, label: 'USB', writeMostly: true, ...(o.throttle ? { throttle: o.throttle } : {}) }];
  const m = await createMirror({ members: specs, label: 'Share test' });
  await m.stop();
  const config = join(dir, 'config');
  await saveConfig(config, { ...defaultConfig(), mirrors: [{ id: m.id, label: 'Share test', members: specs, autoAssemble: true }], activeMirrorId: m.id });
  return { config, members };
}

/** Starts `serve` (core/server/cli.ts) and waits for its two ready lines. */
export function startDavServe(args: string[], timeoutMs = 60_000): Promise<DavServe> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'core/server/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve printed no share URL in ${timeoutMs} ms; stderr:\n${err}`)); }, timeoutMs);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}) before printing its URLs; stderr:\n${err}`)); });
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (lines.length < 2) return;
      clearTimeout(timer);
      const ui = /^NAS Mirror at (https?:\/\/\S+)$/.exec(lines[0]!), share = /^WebDAV share at (https?:\/\/\S+\/dav\/)$/.exec(lines[1]!);
      if (!ui || !share) { child.kill('SIGKILL'); reject(new Error(`unexpected ready lines: ${lines.join(' | ')}`)); return; }
      resolve({
        child, url: ui[1]!, davUrl: share[1]!, stderr: () => err,
        async stop(signal = 'SIGTERM') { if (child.exitCode === null) child.kill(signal); return exited; },
      });
    });
  });
}

/** Whether a command is installed (on PATH), for tests that skip with the package to install. */
export function installed(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
