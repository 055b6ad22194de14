// The login form `serve` shows on a non-loopback bind: no script, posts the password (or the printed token) back,
// and on success sets an HttpOnly SameSite=Strict cookie that the page's WebSocket then carries.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOGIN_CSP, securityHeaders } from './csp.ts';
import { secretEquals, sessionCookie } from './auth.ts';

const MAX_BODY = 4096;
const FAILED_LOGIN_DELAY_MS = 1000;

function page(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>NAS Mirror — sign in</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem">
<h1 style="font-size: 1.4rem">NAS Mirror</h1>
${message ? `<p role="alert" style="color: #c62828">${message}</p>` : ''}
<form method="post" action="/login">
<label for="password">Password (or the token printed by <code>serve</code>)</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required style="width: 100%; margin: .5rem 0">
<button type="submit">Sign in</button>
</form></body></html>`;
}

export function sendLoginPage(res: ServerResponse, status = 200, message = ''): void {
  res.writeHead(status, { ...securityHeaders(LOGIN_CSP), 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(page(message));
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

/** POST /login: the password or the token earns the cookie; anything else gets the form again. */
export async function handleLogin(req: IncomingMessage, res: ServerResponse, secrets: { password?: string; token: string; secure?: boolean }): Promise<void> {
  const form = await readForm(req);
  const given = form?.get('password');
  const ok = secretEquals(given, secrets.token) || (secrets.password !== undefined && secretEquals(given, secrets.password));
  if (!ok) {
    // Each wrong guess costs a second: cheap for a person, ruinous for a password-guessing script on the LAN.
    await new Promise((resolve) => setTimeout(resolve, FAILED_LOGIN_DELAY_MS));
    sendLoginPage(res, 401, form ? 'Wrong password.' : 'The form was too large.');
    return;
  }
  res.writeHead(303, { ...securityHeaders(LOGIN_CSP), 'Set-Cookie': sessionCookie(secrets.token, secrets.secure), Location: '/' }).end();
}
