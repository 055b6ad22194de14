// /dav/ on the server: who may use the share (HTTP Basic, user `nas`, the server's password; the login limiter), what
// a request may look like before nephele sees it, and the Express app that runs our methods over the engine adapter.
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { NextFunction, Request } from 'express';
import type { AuthResponse, Method, User } from 'nephele';
import { catchErrors, defaults as nepheleDefaults } from 'nephele';
import type { Options } from 'nephele';
import type { Mirror } from '../../index.ts';
import type { LoginLimiter } from '../auth.ts';
import { clientKey, originAllowed, secretEquals } from '../auth.ts';
import { davErrorHandler } from './dav-errors.ts';
import {
  DavCopy, DavDelete, DavGetHead, DavLock, DavMkcol, DavMove, DavOptions, DavPropfind, DavProppatch, DavPut, DavUnlock,
} from './dav-methods.ts';
import { DAV_PREFIX, requestTargetProblem } from './dav-paths.ts';
import { DeadProperties, LockTable } from './dav-state.ts';
import { EngineAdapter } from './engine-adapter.ts';
import { requestLookups } from './request-lookups.ts';

/** The one user of the share; the password is the server's. */
export const DAV_USER = 'nas';

/** How a request to the share must identify itself; decided by the server from its bind and its password. */
export interface DavAccess {
  /** Basic auth is required: the server has a password, or it listens beyond loopback (then it must have one). */
  required: boolean;
  password?: string;
  /** The same backoff as the login form: wrong passwords on the share count against the same client. */
  limiter: LoginLimiter;
}

export interface DavServiceOptions {
  /** The open mirror, or null (the share answers 503 until one is open). */
  mirror(): Mirror | null;
  /** Where the share keeps its dead properties (the server's config folder). */
  stateDir: string;
  enabled?: boolean;
  log?: (message: string) => void;
}

const plain = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), ...headers });
  res.end(body);
};

/** NAS_DAV_TRACE=1: one line per request (method, path, status, time) and nephele's own steps, on the server's log. */
const TRACE = process.env.NAS_DAV_TRACE === '1';

/** Where handle() leaves the function that marks a request finished, for the Express handler to call. */
const DONE = Symbol('dav request done');
type RequestWithDone = IncomingMessage & { [DONE]?: () => void };

const CHALLENGE = { 'WWW-Authenticate': `Basic realm="NAS Mirror", charset="UTF-8"` };

/** The user and password of a Basic Authorization header, or null when there is none (or it is not Basic). */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const m = /^\s*Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Checks Basic credentials against the server's password, through the login limiter: a client locked out after wrong
 * passwords is answered 429 without its password being looked at; a request without credentials is only challenged
 * (clients ask first, then send them), and does not count as a failure.
 */
async function authorize(req: IncomingMessage, res: ServerResponse, access: DavAccess): Promise<boolean> {
  if (!access.required) return true;
  const given = basicCredentials(req.headers.authorization);
  if (given === null) { plain(res, 401, 'Sign in with the user name "nas" and the server\'s password.', CHALLENGE); return false; }
  const client = clientKey(req.socket.remoteAddress);
  const admission = access.limiter.admit(client);
  if (!admission.ok) {
    plain(res, 429, 'Too many wrong passwords; wait and try again.', { 'Retry-After': String(Math.max(1, Math.ceil(admission.retryAfterMs / 1000))) });
    return false;
  }
  const right = access.password !== undefined && secretEquals(given.user, DAV_USER) && secretEquals(given.password, access.password);
  if (right) { access.limiter.succeeded(client); return true; }
  const { lockMs, delayMs } = access.limiter.failed(client);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  plain(res, 401, 'Wrong user name or password (the user name is "nas").', { ...CHALLENGE, ...(lockMs > 0 ? { 'Retry-After': String(Math.ceil(lockMs / 1000)) } : {}) });
  return false;
}

/** The share: off until enabled; on, it answers everything under /dav/. */
export class DavService {
  enabled: boolean;
  readonly props: DeadProperties;
  readonly locks = new LockTable();
  readonly #o: DavServiceOptions;
  readonly #app: express.Express;
  /** Requests being answered, each with the promise of its method having finished (engine calls included). */
  readonly #inflight = new Map<IncomingMessage, Promise<void>>();

  private constructor(o: DavServiceOptions, props: DeadProperties) {
    this.#o = o;
    this.enabled = o.enabled ?? false;
    this.props = props;
    this.#app = this.#buildApp();
  }

  static async create(o: DavServiceOptions): Promise<DavService> {
    return new DavService(o, await DeadProperties.open(o.stateDir, o.log));
  }

  /** Answers one request under /dav/ (the server has checked its Host header already). */
  async handle(req: IncomingMessage, res: ServerResponse, access: DavAccess): Promise<void> {
    // No CORS, and no cross-site use from a browser: a page elsewhere cannot drive the share with our cookies or Basic.
    if (!originAllowed({ host: req.headers.host, origin: req.headers.origin, url: req.url ?? '/' })) { plain(res, 403, 'Cross-origin requests are refused.'); return; }
    const problem = requestTargetProblem(req.url ?? '/');
    if (problem) { plain(res, 400, problem); return; }
    if (!req.headers.host || !URL.canParse(`http://${req.headers.host}/`)) { plain(res, 400, 'A valid Host header is required.'); return; }
    // OPTIONS needs no credentials (clients ask what the server speaks before signing in, as nephele allows).
    if (req.method !== 'OPTIONS' && !(await authorize(req, res, access))) return;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    this.#inflight.set(req, done);
    (req as RequestWithDone)[DONE] = finished;
    this.#app(req as Request, res as express.Response, (err?: unknown) => {
      if (err) this.#log(`WebDAV ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) plain(res, err ? 500 : 404, err ? 'Internal server error.' : 'Not found.');
      else res.destroy();
      finished();
    });
    const t0 = performance.now();
    const path = req.url;
    await done;
    if (TRACE) this.#log(`WebDAV ${req.method} ${path} → ${res.statusCode} in ${Math.round(performance.now() - t0)} ms`);
    this.#inflight.delete(req);
  }

  /** Resolves once every request in flight now has finished, its engine calls included (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all(this.#inflight.values());
  }

  /** Ends every request in flight (a stalled upload must not hold the mirror open on shutdown); nothing is written. */
  abortAll(): void {
    for (const req of this.#inflight.keys()) req.destroy();
  }

  #log(m: string): void { (this.#o.log ?? ((x) => console.error(x)))(m); }

  #buildApp(): express.Express {
    // An adapter per request: its view of the mirror looks each path up once until the request changes something
    // (request-lookups.ts); a view is never shared between requests.
    const adapterFor = (): EngineAdapter => {
      let view: { of: Mirror; m: Mirror } | undefined;
      const mirror = (): Mirror | null => {
        const m = this.#o.mirror();
        if (!m) return null;
        if (view?.of !== m) view = { of: m, m: requestLookups(m) };
        return view.m;
      };
      return new EngineAdapter({ mirror, props: this.props, locks: this.locks });
    };
    const options: Options = { ...nepheleDefaults, errorHandler: davErrorHandler((m) => this.#log(m)) };
    const methods: Record<string, Method> = {
      OPTIONS: new DavOptions(options), GET: new DavGetHead(options), HEAD: new DavGetHead(options), PUT: new DavPut(options),
      DELETE: new DavDelete(options), COPY: new DavCopy(options), MOVE: new DavMove(options), MKCOL: new DavMkcol(options),
      LOCK: new DavLock(options), UNLOCK: new DavUnlock(options), PROPFIND: new DavPropfind(options), PROPPATCH: new DavProppatch(options),
    };
    const user: User = { username: DAV_USER };
    const noDebug = Object.assign(() => {}, { extend: () => noDebug });

    const inner = express();
    inner.disable('x-powered-by');
    inner.disable('etag');
    // What nephele's createServer puts in response.locals, minus plugins and its authenticator (settled above).
    inner.use((request: Request, response: AuthResponse, next: NextFunction) => {
      const adapter = adapterFor();
      const origin = `${request.protocol}://${request.headers.host}`;
      Object.assign(response.locals, {
        debug: TRACE ? Object.assign((...a: unknown[]) => this.#log(`  ${request.method} ${request.originalUrl}: ${a.map(String).join(' ')}`), { extend: () => noDebug }) : noDebug,
        errors: [], plugins: [], pluginsConfig: [], adapterConfig: adapter, adapter, user,
        baseUrl: new URL(`${DAV_PREFIX}/`, origin),
      });
      response.set({ 'MS-Author-Via': 'DAV', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
      if (request.method === 'PUT' || request.method === 'MKCOL') {
        adapter.lookAhead(new URL(request.originalUrl, origin), response.locals.baseUrl as URL); // as nephele's getRequestUrl
      }
      next();
    });
    inner.use(async (request: Request, response: AuthResponse) => {
      const method = methods[request.method];
      const run = method
        ? catchErrors(method.run.bind(method), async (code, message, error, [rq, rs]) => options.errorHandler(code, message, rq, rs, error))
        : catchErrors(async () => { (response.locals.adapter as EngineAdapter).getMethod(request.method); }, async (code, message, error) => options.errorHandler(code, message, request, response, error));
      try {
        await run(request, response);
      } finally {
        (request as RequestWithDone)[DONE]?.();
      }
    });

    const outer = express();
    outer.set('env', 'production'); // Express's own last-resort handler must not print stack traces either
    outer.disable('x-powered-by');
    outer.use(DAV_PREFIX, inner);
    return outer;
  }
}
