// The headless server: one node:http server for the built renderer, the login form and the /rpc WebSocket.
// Loopback binds are open to this machine only (Host checked); other binds require the token or a login.
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Dispatch } from '../api/handlers.ts';
import type { EventHub } from '../api/event-hub.ts';
import type { AccessPolicy, RequestFacts } from './auth.ts';
import { authenticated, hostAllowed, isLoopbackHost, judgeUpgrade, loopbackHosts, newToken, originAllowed, sessionCookie } from './auth.ts';
import { LOGIN_CSP, securityHeaders } from './csp.ts';
import { handleLogin, sendLoginPage } from './login-page.ts';
import { serveStatic } from './static-files.ts';
import { MAX_MESSAGE_BYTES, serveConnection } from './ws-rpc.ts';

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
  /** Largest WebSocket message accepted; default fits the largest upload. */
  maxMessageBytes?: number;
  log?: (message: string) => void;
}

export interface RunningServer {
  /** The URL to open; carries ?token= when a generated token is the only way in. */
  url: string;
  port: number;
  token: string | null;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 30_000;

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
  const policy: AccessPolicy = { allowedHosts: null, token };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const f = facts(req);
    if (!hostAllowed(policy, f)) { res.writeHead(421, securityHeaders(LOGIN_CSP)).end('Misdirected request\n'); return; }
    const url = new URL(f.url, 'http://x');
    if (token !== null && url.pathname === '/login') {
      if (req.method === 'POST') {
        if (!originAllowed(f)) { res.writeHead(403, securityHeaders(LOGIN_CSP)).end('Forbidden\n'); return; }
        await handleLogin(req, res, { password: o.password, token, secure });
      } else sendLoginPage(res);
      return;
    }
    if (!authenticated(policy, f)) {
      res.writeHead(303, { ...securityHeaders(LOGIN_CSP), Location: '/login' }).end();
      return;
    }
    if (token !== null && url.searchParams.has('token')) {
      // Trade the URL's token for a cookie, and take it out of the address bar (and history, and Referer).
      url.searchParams.delete('token');
      res.writeHead(303, { ...securityHeaders(LOGIN_CSP), 'Set-Cookie': sessionCookie(token, secure), Location: url.pathname + url.search }).end();
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
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
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
