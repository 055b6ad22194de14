// Who may talk to `serve`: pure decisions over plain request data, so every rule is unit-tested without sockets.
// Loopback needs no password but checks Host (DNS rebinding); any other bind needs the token or a login cookie.
// Browsers always send Origin on a WebSocket: it must be the page's own, which stops cross-site WebSocket hijacking.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const COOKIE_NAME = 'nas_mirror_token';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison, so a wrong guess reveals nothing about how close it was. */
export function secretEquals(given: string | null | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given), b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export interface AccessPolicy {
  /** Host header values accepted (`host:port`), or null for any (when a token guards the server). */
  allowedHosts: Set<string> | null;
  /** The secret a client must present, or null when none is needed (loopback). */
  token: string | null;
}

export function loopbackHosts(boundHost: string, port: number): Set<string> {
  const hosts = ['127.0.0.1', 'localhost', '[::1]', boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost];
  return new Set(hosts.map((h) => `${h}:${port}`.toLowerCase()));
}

export interface RequestFacts { host?: string; origin?: string; cookie?: string; url: string }

export function hostAllowed(p: AccessPolicy, f: RequestFacts): boolean {
  return p.allowedHosts === null || (f.host !== undefined && p.allowedHosts.has(f.host.toLowerCase()));
}

/** A browser's Origin must be the server itself, as the browser reached it; non-browser clients send none. */
export function originAllowed(f: RequestFacts): boolean {
  if (f.origin === undefined) return true;
  if (f.host === undefined) return false;
  const origin = f.origin.toLowerCase(), host = f.host.toLowerCase();
  return origin === `http://${host}` || origin === `https://${host}`;
}

export function authenticated(p: AccessPolicy, f: RequestFacts): boolean {
  if (p.token === null) return true;
  const q = new URL(f.url, 'http://x').searchParams.get('token');
  return secretEquals(q, p.token) || secretEquals(parseCookies(f.cookie).get(COOKIE_NAME), p.token);
}

export type Verdict = 'ok' | 'bad-host' | 'bad-origin' | 'unauthenticated';

/** The whole decision for a WebSocket upgrade. */
export function judgeUpgrade(p: AccessPolicy, f: RequestFacts): Verdict {
  if (!hostAllowed(p, f)) return 'bad-host';
  if (!originAllowed(f)) return 'bad-origin';
  return authenticated(p, f) ? 'ok' : 'unauthenticated';
}

/** Over TLS the cookie is also Secure: a browser never sends it on a plain-HTTP request to the same host. */
export function sessionCookie(token: string, secure = false): string {
  return `${COOKIE_NAME}=${token}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}
