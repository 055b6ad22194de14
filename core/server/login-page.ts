// The sign-in and sign-out pages `serve` shows on a non-loopback bind: no script, forms that post back to us. A right
// password (or the printed token) starts a session whose token goes in an HttpOnly SameSite=Strict cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOGIN_CSP, securityHeaders } from '../app/csp.ts';
import { clearedCookie, clientKey, secretEquals, sessionCookie } from './auth.ts';
import type { LoginLimiter, SessionStore } from './auth.ts';

const MAX_BODY = 4096;

/** What the page says above its form; `signed-in` swaps the password form for a sign-out button. */
export type LoginPageState =
  | { kind: 'sign-in'; message?: string }
  | { kind: 'signed-in' };

function body(state: LoginPageState): string {
  if (state.kind === 'signed-in') {
    return `<p>You are signed in. <a href="/">Open NAS Mirror</a></p>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`;
  }
  return `${state.message ? `<p role="alert" style="color: #c62828">${state.message}</p>` : ''}
<form method="post" action="/login">
<label for="password">Password (or the token printed by <code>serve</code>)</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required style="width: 100%; margin: .5rem 0">
<button type="submit">Sign in</button>
</form>`;
}

function page(state: LoginPageState): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>NAS Mirror — sign in</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem">
<h1 style="font-size: 1.4rem">NAS Mirror</h1>
${body(state)}
</body></html>`;
}

export function sendLoginPage(res: ServerResponse, status = 200, state: LoginPageState = { kind: 'sign-in' }, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...securityHeaders(LOGIN_CSP), 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(page(state));
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const tooMany = (ms: number) => `Too many attempts; try again in ${seconds(ms)} s.`;

export interface LoginContext {
  password?: string;
  token: string;
  secure: boolean;
  sessions: SessionStore;
  limiter: LoginLimiter;
}

/** POST /login: a right password starts a session; a wrong one counts against the client (see LoginLimiter). */
export async function handleLogin(req: IncomingMessage, res: ServerResponse, c: LoginContext): Promise<void> {
  const form = await readForm(req);
  if (form === null) { sendLoginPage(res, 413, { kind: 'sign-in', message: 'The form was too large.' }); return; }
  // From here to the verdict nothing awaits: parallel guesses from one client are judged one after another.
  const client = clientKey(req.socket.remoteAddress);
  const admission = c.limiter.admit(client);
  if (!admission.ok) {
    sendLoginPage(res, 429, { kind: 'sign-in', message: tooMany(admission.retryAfterMs) }, { 'Retry-After': String(seconds(admission.retryAfterMs)) });
    return;
  }
  const given = form.get('password');
  const byToken = secretEquals(given, c.token);
  const byPassword = c.password !== undefined && secretEquals(given, c.password);
  if (byToken || byPassword) {
    c.limiter.succeeded(client);
    res.writeHead(303, { ...securityHeaders(LOGIN_CSP), 'Set-Cookie': sessionCookie(c.sessions.create(), c.secure), Location: '/' }).end();
    return;
  }
  const { lockMs, delayMs } = c.limiter.failed(client);
  // Under a many-client attack the answer to a wrong guess comes late; the lock itself is already in force.
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const message = lockMs > 0 ? `Wrong password. ${tooMany(lockMs)}` : 'Wrong password.';
  sendLoginPage(res, 401, { kind: 'sign-in', message }, lockMs > 0 ? { 'Retry-After': String(seconds(lockMs)) } : {});
}

/** POST /logout: ends this browser's session only, drops the cookie, and goes back to the sign-in form. */
export function handleLogout(res: ServerResponse, c: { secure: boolean; sessions: SessionStore }, token: string | undefined): string | null {
  const ended = c.sessions.end(token);
  res.writeHead(303, { ...securityHeaders(LOGIN_CSP), 'Set-Cookie': clearedCookie(c.secure), Location: '/login' }).end();
  return ended;
}
