// The headless server: one node:http server for the built renderer, the login form and the /rpc WebSocket.
// Loopback binds are open to this machine only (Host checked); other binds require the token or a session.
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Dispatch } from '../app/handlers.ts';
import type { EventHub } from '../app/event-hub.ts';
import type { AccessPolicy, RequestFacts } from './auth.ts';
import {
  authenticated, clearedCookie, hostAllowed, isLoopbackHost, judgeUpgrade, LoginLimiter, loopbackHosts, newToken, originAllowed,
  sessionCookie, sessionOf, SessionStore, sessionToken,
} from './auth.ts';
import { LOGIN_CSP, securityHeaders } from '../app/csp.ts';
import { handleLogin, handleLogout, sendLoginPage } from './login-page.ts';
import { serveStatic } from './static-files.ts';
import { MAX_MESSAGE_BYTES, serveConnection } from './ws-rpc.ts';
import type { DavService } from './dav/dav-route.ts';
import { isDavPath } from './dav/dav-paths.ts';
import { webdavRefusal } from './dav/sharing.ts';

export interface ServerOptions {
  host: string;
  port: number;
  staticRoot: string;
  dispatch: Dispatch;
  events: EventHub;
  /** Required to log in on a non-loopback bind; without one a token is generated. */
  password?: string;
  /** Forces the login even on loopback (tests of the non-loopback path). Default: only off loopback. */
  requireAuth?: boolean;
  /** PEM certificate and key: serve https/wss (for a LAN bind, so the password and the files are not in the clear). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The signed-in sessions and the login backoff; tests pass their own, on a clock they move. */
  sessions?: SessionStore;
  loginLimiter?: LoginLimiter;
  /** Largest WebSocket message accepted; default fits the largest upload. */
  maxMessageBytes?: number;
  log?: (message: string) => void;
  /** The WebDAV share, answered under /dav/ while enabled (Basic auth with the password; see dav/dav-route.ts). */
  webdav?: DavService;
}

export interface RunningServer {
  /** The URL to open; carries ?token= when a generated token is the only way in. */
  url: string;
  port: number;
  token: string | null;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 30_000;

/** Close code for a socket whose session was signed out or expired (4000–4999 are the application's own). */
const SESSION_ENDED = 4401;

/** The open WebSockets of each session, so that signing out or expiry also ends that tab's live connection. */
class SessionSockets {
  readonly #byId = new Map<string, Set<WebSocket>>();
  readonly #sessions: SessionStore;
  constructor(sessions: SessionStore) { this.#sessions = sessions; }

  /** A call over the socket is use of its session; one that comes after the session ended closes it instead. */
  bind(ws: WebSocket, id: string): void {
    const mine = this.#byId.get(id) ?? new Set<WebSocket>();
    this.#byId.set(id, mine.add(ws));
    ws.on('message', () => { if (!this.#sessions.touch(id)) this.close(id); });
    ws.on('close', () => { mine.delete(ws); if (mine.size === 0 && this.#byId.get(id) === mine) this.#byId.delete(id); });
  }

  close(id: string): void {
    for (const ws of this.#byId.get(id) ?? []) ws.close(SESSION_ENDED, 'Session ended');
    this.#byId.delete(id);
  }

  /** Idle or absolute expiry has no event of its own: the heartbeat asks. */
  closeEnded(): void {
    for (const id of [...this.#byId.keys()]) if (!this.#sessions.isLive(id)) this.close(id);
  }
}

function facts(req: IncomingMessage): RequestFacts {
  return { host: req.headers.host, origin: req.headers.origin, cookie: req.headers.cookie, url: req.url ?? '/' };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const log = o.log ?? ((m) => console.error(m));
  const needsAuth = o.requireAuth ?? !isLoopbackHost(o.host);
  const secure = o.tls !== undefined;
  const token = needsAuth ? newToken() : null;
  const sessions = o.sessions ?? new SessionStore();
  const limiter = o.loginLimiter ?? new LoginLimiter();
  const policy: AccessPolicy = { allowedHosts: null, token, sessions };
  const liveSockets = new SessionSockets(sessions);
  const davRefusal = webdavRefusal(o.host, o.password);
  if (o.webdav?.enabled && davRefusal) throw new Error(davRefusal);
  // The share takes the server's password (user "nas") whenever there is one, and always off loopback.
  const davAccess = { required: needsAuth || o.password !== undefined, password: o.password, limiter };

  /** /login and /logout, when a password or token guards the server. */
  const onAuthRoute = async (req: IncomingMessage, res: ServerResponse, url: URL, secret: string) => {
    const f = facts(req);
    if (req.method !== 'POST') {
      // The signed-in see a sign-out button here: the app itself does not know it is behind a login.
      if (url.pathname === '/logout') res.writeHead(303, { ...securityHeaders(LOGIN_CSP), Location: '/login' }).end();
      else if (sessionOf(policy, f) !== null) sendLoginPage(res, 200, { kind: 'signed-in' });
      else sendLoginPage(res, 200, { kind: 'sign-in', ...(url.searchParams.has('ended') ? { message: 'Your session has ended; sign in again.' } : {}) });
      return;
    }
    if (!originAllowed(f)) { res.writeHead(403, securityHeaders(LOGIN_CSP)).end('Forbidden\n'); return; }
    if (url.pathname === '/login') { await handleLogin(req, res, { password: o.password, token: secret, secure, sessions, limiter }); return; }
    const ended = handleLogout(res, { secure, sessions }, sessionToken(f));
    if (ended !== null) liveSockets.close(ended);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const f = facts(req);
    if (!hostAllowed(policy, f)) { res.writeHead(421, securityHeaders(LOGIN_CSP)).end('Misdirected request\n'); return; }
    const url = new URL(f.url, 'http://x');
    // Judged on the path as sent: URL parsing folds "/dav/%2e%2e/x" to "/x", and the share refuses it by name (400).
    if (o.webdav?.enabled && !davRefusal && isDavPath(f.url.split('?', 1)[0]!)) { await o.webdav.handle(req, res, davAccess); return; }
    if (token !== null && (url.pathname === '/login' || url.pathname === '/logout')) { await onAuthRoute(req, res, url, token); return; }
    if (!authenticated(policy, f)) {
      // A cookie that no longer names a session (expired, or the server restarted): say so on the form, and drop it.
      const ended = sessionToken(f) !== undefined;
      res.writeHead(303, {
        ...securityHeaders(LOGIN_CSP), Location: ended ? '/login?ended' : '/login', ...(ended ? { 'Set-Cookie': clearedCookie(secure) } : {}),
      }).end();
      return;
    }
    if (token !== null && url.searchParams.has('token')) {
      // Trade the URL's token for a session cookie, and take it out of the address bar (and history, and Referer).
      url.searchParams.delete('token');
      res.writeHead(303, { ...securityHeaders(LOGIN_CSP), 'Set-Cookie': sessionCookie(sessions.create(), secure), Location: url.pathname + url.search }).end();
      return;
    }
    await serveStatic(o.staticRoot, req, res);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch((e: Error) => {
      log(`HTTP error on ${req.url}: ${e.message}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('Internal error\n');
    });
  };
  const server = o.tls ? createTlsServer({ cert: o.tls.cert, key: o.tls.key }, handle) : createServer(handle);
  // A share upload of gigabytes takes longer than Node's 5-minute limit on a whole request; headers stay bounded.
  if (o.webdav) server.requestTimeout = 0;
  // A plain-HTTP client on the TLS port, or a certificate it rejects: its connection fails, the server goes on.
  server.on('tlsClientError', (e: Error) => log(`TLS: ${e.message}`));
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxMessageBytes ?? MAX_MESSAGE_BYTES });
  // A browser tab that went to sleep or a laptop that left the LAN never says goodbye: ping, and drop the silent.
  const alive = new WeakMap<object, boolean>();
  wss.on('connection', (ws) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    serveConnection(ws, o.dispatch, o.events, log);
  });
  const heartbeat = setInterval(() => {
    liveSockets.closeEnded();
    for (const ws of wss.clients) {
      if (!alive.get(ws)) { ws.terminate(); continue; }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string) => { socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`); };
    socket.on('error', () => socket.destroy());
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/rpc') { refuse('404 Not Found'); return; }
    const verdict = judgeUpgrade(policy, facts(req));
    if (verdict === 'bad-host') { refuse('421 Misdirected Request'); return; }
    if (verdict === 'bad-origin') { log(`Refused a WebSocket from origin ${req.headers.origin}`); refuse('403 Forbidden'); return; }
    if (verdict === 'unauthenticated') { refuse('401 Unauthorized'); return; }
    const session = token === null ? null : sessionOf(policy, facts(req));
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (session !== null) liveSockets.bind(ws, session);
      wss.emit('connection', ws, req);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  // Only now is the port known: pin the Host header on loopback so a DNS-rebinding page cannot reach us.
  if (!needsAuth) policy.allowedHosts = loopbackHosts(o.host, port);
  const query = token !== null && o.password === undefined ? `?token=${token}` : '';
  return {
    url: `${secure ? 'https' : 'http'}://${urlHost(o.host)}:${port}/${query}`,
    port,
    token,
    async close() {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
