// Who may talk to `serve`: pure decisions over plain request data, plus the two pieces of state they consult (the
// sessions and the login limiter), each on an injectable clock, so every rule is unit-tested without sockets or sleeps.
// Loopback needs no password but checks Host (DNS rebinding); any other bind needs the token or a session cookie.
// Browsers always send Origin on a WebSocket: it must be the page's own, which stops cross-site WebSocket hijacking.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const COOKIE_NAME = 'nas_mirror_token';

/** Milliseconds since the epoch; tests pass their own and move it by hand. */
export type Clock = () => number;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time over fixed-length hashes, so a wrong guess reveals neither how close it was nor the secret's length. */
export function secretEquals(given: string | null | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(sha256(given), sha256(secret));
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

// ── Sessions ────────────────────────────────────────────────────────────────────────────────────────────────────

/** A session unused this long ends: a forgotten tab on a shared computer does not stay signed in. */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** And none outlives a week, however busy: a stolen cookie is worth a week at most. */
export const SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60_000;
/** A home NAS has a handful of browsers; past this, the least recently used session is dropped. */
export const MAX_SESSIONS = 100;

interface Session { created: number; lastUsed: number }

export interface SessionStoreOptions { clock?: Clock; idleMs?: number; maxAgeMs?: number; maxSessions?: number }

/**
 * One random token per sign-in, held in memory (a restart signs everyone out). The map is keyed by the token's
 * SHA-256, never the token: a lookup's timing can only leak bits of a hash, which do not help forge a cookie.
 * Map order is least recently used first, so eviction and the sweep of idle sessions look only at the front.
 */
export class SessionStore {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #maxAgeMs: number;
  readonly #max: number;
  readonly #byId = new Map<string, Session>();

  constructor(o: SessionStoreOptions = {}) {
    this.#clock = o.clock ?? Date.now;
    this.#idleMs = o.idleMs ?? SESSION_IDLE_MS;
    this.#maxAgeMs = o.maxAgeMs ?? SESSION_MAX_AGE_MS;
    this.#max = o.maxSessions ?? MAX_SESSIONS;
  }

  get size(): number { return this.#byId.size; }

  /** Starts a session; the returned token goes in the cookie and nowhere else. */
  create(): string {
    const now = this.#clock();
    for (const [id, s] of this.#byId) {
      if (this.#byId.size < this.#max && this.#live(s, now)) break;
      this.#byId.delete(id);
    }
    const token = randomBytes(32).toString('base64url');
    this.#byId.set(sessionId(token), { created: now, lastUsed: now });
    return token;
  }

  /** The id of the live session this cookie token names (and marks it used), or null; an expired one is dropped. */
  resolve(token: string | undefined): string | null {
    if (token === undefined || token === '') return null;
    const id = sessionId(token);
    return this.touch(id) ? id : null;
  }

  /** Marks a live session used (a page load, a call over its WebSocket); false, and dropped, if it has expired. */
  touch(id: string): boolean {
    const s = this.#byId.get(id);
    if (s === undefined) return false;
    this.#byId.delete(id);
    const now = this.#clock();
    if (!this.#live(s, now)) return false;
    s.lastUsed = now;
    this.#byId.set(id, s);
    return true;
  }

  /** Whether a session is still live, without counting this as use (the heartbeat asks this of open sockets). */
  isLive(id: string): boolean {
    const s = this.#byId.get(id);
    return s !== undefined && this.#live(s, this.#clock());
  }

  /** Sign-out: ends the session this token names; returns its id (to close its sockets), or null if none was live. */
  end(token: string | undefined): string | null {
    if (token === undefined || token === '') return null;
    const id = sessionId(token);
    return this.#byId.delete(id) ? id : null;
  }

  #live(s: Session, now: number): boolean {
    return now - s.lastUsed < this.#idleMs && now - s.created < this.#maxAgeMs;
  }
}

function sessionId(token: string): string {
  return sha256(token).toString('base64url');
}

// ── Login backoff ───────────────────────────────────────────────────────────────────────────────────────────────

export interface LoginLimiterOptions {
  clock?: Clock;
  /** Wrong passwords a client may type before any wait: typos cost nothing. */
  freeFailures?: number;
  /** The first lock after the free ones; each further failure doubles it, up to maxLockMs. */
  baseLockMs?: number;
  maxLockMs?: number;
  /** A client with no failure for this long starts over. */
  forgetAfterMs?: number;
  /** Clients remembered at most; past this the one whose last failure is oldest is forgotten. */
  maxClients?: number;
  /** Failures per minute, from everyone together, above which the server is under attack. */
  globalFailuresPerMinute?: number;
  /** Under attack, each failed attempt is answered this late per minute's worth of excess, up to globalMaxDelayMs. */
  globalDelayMs?: number;
  globalMaxDelayMs?: number;
}

/** Before checking a password: may this client try now? */
export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

/** After a wrong one: how long this client is locked out, and how late to send the answer. */
export interface FailureVerdict { lockMs: number; delayMs: number }

interface ClientRecord { failures: number; lastFailure: number; lockedUntil: number }

/**
 * Backoff for the login form, per client and for everyone (cf. OpenSSH's PerSourcePenalties and fail2ban).
 *
 * Per client: the first `freeFailures` wrong passwords cost nothing; each one after locks the client out for 0.5 s,
 * 1 s, 2 s … up to 30 s, during which its attempts are answered 429 without looking at the password, so a guesser
 * gains nothing from sending in parallel. A right password clears the record.
 *
 * For everyone: failures fill a leaky bucket that drains at `globalFailuresPerMinute`. While it overflows (many
 * clients guessing, each within its own free failures), every *failed* attempt is answered late and no client gets
 * free failures. A right password is checked and answered at once, so a user with no failures is never held up.
 */
export class LoginLimiter {
  readonly #clock: Clock;
  readonly #free: number;
  readonly #baseLockMs: number;
  readonly #maxLockMs: number;
  readonly #forgetAfterMs: number;
  readonly #maxClients: number;
  readonly #globalPerMinute: number;
  readonly #globalDelayMs: number;
  readonly #globalMaxDelayMs: number;
  /** Least recent failure first, so forgetting and eviction look only at the front. */
  readonly #clients = new Map<string, ClientRecord>();
  #bucket = 0;
  #bucketAt = 0;

  constructor(o: LoginLimiterOptions = {}) {
    this.#clock = o.clock ?? Date.now;
    this.#free = o.freeFailures ?? 3;
    this.#baseLockMs = o.baseLockMs ?? 500;
    this.#maxLockMs = o.maxLockMs ?? 30_000;
    this.#forgetAfterMs = o.forgetAfterMs ?? 15 * 60_000;
    this.#maxClients = o.maxClients ?? 10_000;
    this.#globalPerMinute = o.globalFailuresPerMinute ?? 30;
    this.#globalDelayMs = o.globalDelayMs ?? 1000;
    this.#globalMaxDelayMs = o.globalMaxDelayMs ?? 10_000;
  }

  /** Clients currently remembered (for tests of the bound). */
  get clients(): number { return this.#clients.size; }

  admit(client: string): Admission {
    const now = this.#clock();
    const r = this.#record(client, now);
    return r !== undefined && now < r.lockedUntil ? { ok: false, retryAfterMs: r.lockedUntil - now } : { ok: true };
  }

  failed(client: string): FailureVerdict {
    const now = this.#clock();
    const excess = this.#fillBucket(now);
    const r = this.#record(client, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
    r.failures++;
    r.lastFailure = now;
    const free = excess > 0 ? 0 : this.#free;
    const lockMs = r.failures > free ? Math.min(this.#maxLockMs, this.#baseLockMs * 2 ** Math.min(30, r.failures - free - 1)) : 0;
    r.lockedUntil = now + lockMs;
    this.#clients.delete(client);
    this.#clients.set(client, r);
    this.#forgetOld(now);
    const delayMs = excess > 0 ? Math.min(this.#globalMaxDelayMs, this.#globalDelayMs * Math.ceil(excess / this.#globalPerMinute)) : 0;
    return { lockMs, delayMs };
  }

  succeeded(client: string): void {
    this.#clients.delete(client);
  }

  /**
   * Adds one failure to the global bucket; returns how far it overflows. Capped just where the delay reaches its
   * maximum, so the end of an attack is felt within minutes (11 with the defaults).
   */
  #fillBucket(now: number): number {
    const drained = ((now - this.#bucketAt) / 60_000) * this.#globalPerMinute;
    const cap = this.#globalPerMinute * (1 + Math.ceil(this.#globalMaxDelayMs / this.#globalDelayMs));
    this.#bucket = Math.min(cap, Math.max(0, this.#bucket - drained) + 1);
    this.#bucketAt = now;
    return Math.max(0, this.#bucket - this.#globalPerMinute);
  }

  #record(client: string, now: number): ClientRecord | undefined {
    const r = this.#clients.get(client);
    if (r !== undefined && now - r.lastFailure >= this.#forgetAfterMs && now >= r.lockedUntil) {
      this.#clients.delete(client);
      return undefined;
    }
    return r;
  }

  #forgetOld(now: number): void {
    for (const [client, r] of this.#clients) {
      const stale = now - r.lastFailure >= this.#forgetAfterMs && now >= r.lockedUntil;
      if (!stale && this.#clients.size <= this.#maxClients) break;
      this.#clients.delete(client);
    }
  }
}

/**
 * The key a client's failures are counted under: its address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64, the
 * block one household or one rented server gets (counting single IPv6 addresses would give a guesser 2^64 clients).
 * Forwarded-For headers are not trusted: anyone can write them.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  const a = address.toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (isIP(a) !== 6) return a;
  const [head, tail] = a.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

// ── Requests ────────────────────────────────────────────────────────────────────────────────────────────────────

export interface AccessPolicy {
  /** Host header values accepted (`host:port`), or null for any (when a token guards the server). */
  allowedHosts: Set<string> | null;
  /** The secret a client may present as ?token=, or null when none is needed (loopback). */
  token: string | null;
  /** The signed-in browsers; their cookie is the other way in. */
  sessions: SessionStore;
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

export function sessionToken(f: RequestFacts): string | undefined {
  return parseCookies(f.cookie).get(COOKIE_NAME);
}

/** The live session this request's cookie names (marking it used), or null. */
export function sessionOf(p: AccessPolicy, f: RequestFacts): string | null {
  return p.sessions.resolve(sessionToken(f));
}

export function authenticated(p: AccessPolicy, f: RequestFacts): boolean {
  if (p.token === null) return true;
  const q = new URL(f.url, 'http://x').searchParams.get('token');
  return secretEquals(q, p.token) || sessionOf(p, f) !== null;
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

/** Tells the browser to drop the cookie (sign-out, or a session that has ended). */
export function clearedCookie(secure = false): string {
  return `${COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}
