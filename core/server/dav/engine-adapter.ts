// nephele's Adapter, Resource and Lock over the engine's public Mirror interface: every byte of the share goes through
// stat/readdir/openReader/writeFile/mkdir/remove/rename, so it gets the fallback wait, checksums, atomic replacement,
// the journal and the name rules like any other way in. Never a member folder, never nephele's file-system adapter.
import { Readable } from 'node:stream';
import type { Request } from 'express';
import type { Adapter, AuthResponse, Lock, Method, Resource, User } from 'nephele';
import {
  BadGatewayError, BadRequestError, ForbiddenError, MethodNotImplementedError, MethodNotSupportedError,
  ResourceExistsError, ResourceNotFoundError, ResourceTreeNotCompleteError, ServiceUnavailableError,
} from 'nephele';
import type { FileStat, Mirror } from '../../index.ts';
import { engine } from './dav-errors.ts';
import { baseName, hrefOf, isMetaPath, META_NAME, mirrorPathOf, parentPath } from './dav-paths.ts';
import type { DeadProperties, LockRecord, LockTable } from './dav-state.ts';
import { etagOf, mediaTypeOf, ResourceProperties } from './resource-properties.ts';
import { ReleasedStream } from './released-stream.ts';

/** What the adapter needs from its host: the open mirror (it may change or close), and the share's own state. */
export interface ShareContext {
  /** The mirror, or null when none is open (the share answers 503 then). */
  mirror(): Mirror | null;
  readonly props: DeadProperties;
  readonly locks: LockTable;
}

/** The chunks of a request body, for writeFile: a client that disconnects makes the iteration throw (nothing lands). */
async function* bodyChunks(input: Readable): AsyncGenerator<Uint8Array> {
  for await (const chunk of input) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
}

/** Bytes `start`..`end` (inclusive) of a reader's chunks; stopping early releases the file. */
async function* slice(chunks: AsyncIterableIterator<Uint8Array>, start: number, end: number): AsyncGenerator<Uint8Array> {
  let pos = 0;
  for await (const c of chunks) {
    const from = pos;
    pos += c.byteLength;
    if (pos <= start) continue;
    yield c.subarray(Math.max(0, start - from), Math.min(c.byteLength, end + 1 - from));
    if (pos > end) return;
  }
}

export class EngineAdapter implements Adapter {
  readonly share: ShareContext;
  constructor(share: ShareContext) { this.share = share; }

  /** The open mirror; none open is a temporary condition (503), not an error of the request. */
  mirror(): Mirror {
    const m = this.share.mirror();
    if (!m) throw new ServiceUnavailableError('No mirror is open on this NAS right now. Open it in the NAS Mirror app, then try again.');
    return m;
  }

  /** The mirror path of a URL; a URL outside the share (a Destination elsewhere) is a 502, a malformed one a 400. */
  pathOf(url: URL, baseUrl: URL): string {
    const r = mirrorPathOf(url.pathname, baseUrl.pathname);
    if ('path' in r) return r.path;
    if (!url.pathname.startsWith(baseUrl.pathname.replace(/\/?$/, '/')) && `${url.pathname}/` !== baseUrl.pathname) {
      throw new BadGatewayError('That address is not inside this share.');
    }
    throw new BadRequestError(`Bad path: ${r.problem}.`);
  }

  /**
   * A PUT or MKCOL asks whether its path exists, then (nephele, then our create) whether its folder is one: two lookups
   * in a row, the first of them two calls to the drive for a new name (its absence is final only from a drive proved
   * still there). Both are started here as the request starts, so neither waits for the other; the request's view keeps
   * the answers (request-lookups.ts), and every decision is still made where it was, from them.
   */
  lookAhead(url: URL, baseUrl: URL): void {
    let path: string;
    try { path = this.pathOf(url, baseUrl); } catch { return; } // the request itself answers for a bad path
    const m = this.share.mirror();
    if (!m || path === '' || isMetaPath(path)) return;
    void m.stat(path).catch(() => {});
    const parent = parentPath(path);
    if (parent !== '') void m.stat(parent).catch(() => {});
  }

  async getComplianceClasses(_url: URL, _request: Request, _response: AuthResponse): Promise<string[]> { return ['2']; }
  async getAllowedMethods(_url: URL, _request: Request, _response: AuthResponse): Promise<string[]> { return []; }
  async getOptionsResponseCacheControl(_url: URL, _request: Request, _response: AuthResponse): Promise<string> { return 'no-cache'; }
  /** Who may do what is settled before nephele runs (dav-route.ts: one user, the server's password). */
  async isAuthorized(_url: URL, _method: string, _baseUrl: URL, _user: User): Promise<boolean> { return true; }

  async getResource(url: URL, baseUrl: URL): Promise<Resource> {
    const r = new EngineResource(this, baseUrl, this.pathOf(url, baseUrl));
    await r.stat();
    return r;
  }

  async newResource(url: URL, baseUrl: URL): Promise<Resource> { return this.#fresh(url, baseUrl, 'file'); }
  async newCollection(url: URL, baseUrl: URL): Promise<Resource> { return this.#fresh(url, baseUrl, 'dir'); }

  #fresh(url: URL, baseUrl: URL, kind: 'file' | 'dir'): EngineResource {
    const path = this.pathOf(url, baseUrl);
    if (isMetaPath(path)) throw new ForbiddenError(`${META_NAME} holds the mirror's own records and cannot be written.`);
    return new EngineResource(this, baseUrl, path, { kind });
  }

  getMethod(method: string): typeof Method {
    if (method === 'POST' || method === 'PATCH') throw new MethodNotSupportedError(`${method} is not supported on this share.`);
    throw new MethodNotImplementedError(`${method} is not implemented on this share.`);
  }
}

export class EngineResource implements Resource {
  readonly adapter: EngineAdapter;
  readonly baseUrl: URL;
  readonly path: string;
  /** undefined until looked up; a resource made by newResource/newCollection does not exist yet. */
  #stat: FileStat | undefined;
  readonly #kind: 'file' | 'dir' | undefined;
  /** A parent met on a walk up: a folder as far as its URL goes, without asking the engine. */
  readonly #parent: boolean;

  constructor(adapter: EngineAdapter, baseUrl: URL, path: string, o: { stat?: FileStat; kind?: 'file' | 'dir'; parent?: boolean } = {}) {
    this.adapter = adapter;
    this.baseUrl = baseUrl;
    this.path = path;
    this.#stat = o.stat;
    this.#kind = o.kind;
    this.#parent = o.parent ?? false;
  }

  get mirror(): Mirror { return this.adapter.mirror(); }
  get share(): ShareContext { return this.adapter.share; }

  /** What the engine says is there (cached for this request); missing → 404. */
  async stat(): Promise<FileStat> {
    if (this.#stat) return this.#stat;
    if (isMetaPath(this.path)) throw new ResourceNotFoundError('Resource not found.');
    this.#stat = await engine(this.mirror.stat(this.path), true);
    return this.#stat;
  }

  async exists(): Promise<boolean> {
    try {
      await this.stat();
      return true;
    } catch (e) {
      if (e instanceof ResourceNotFoundError) return false;
      throw e;
    }
  }

  /** Forget the cached stat after a change, so the next answer (Location, ETag) is the new version's. */
  changed(): void { this.#stat = undefined; }

  async getLocks(): Promise<Lock[]> {
    return this.share.locks.at(this.mirror.id, this.path).map((r) => new EngineLock(this, r));
  }

  async getLocksByUser(user: User): Promise<Lock[]> {
    return (await this.getLocks()).filter((l) => (l as EngineLock).username === user.username);
  }

  async createLockForUser(user: User): Promise<Lock> {
    return new EngineLock(this, {
      token: '', mirrorId: this.mirror.id, path: this.path, username: user.username, date: Date.now(), timeout: 0,
      scope: 'exclusive', depth: '0', provisional: true, owner: undefined,
    });
  }

  async getProperties(): Promise<ResourceProperties> { return new ResourceProperties(this); }

  /** Streams the file (or a range of it) from the engine: a fallback read waits, the checksum is verified at the end. */
  async getStream(range?: { start: number; end: number }): Promise<Readable> {
    if (await this.isCollection()) return Readable.from([]);
    const reader = await engine(this.mirror.openReader(this.path), true);
    const chunks = range ? slice(reader.chunks, range.start, range.end) : reader.chunks;
    return new ReleasedStream(chunks);
  }

  /** A PUT: one atomic engine write, streamed; the old file stays until the upload completes. */
  async setStream(input: Readable, _user: User, _mediaType?: string): Promise<void> {
    if (await this.isCollection()) throw new MethodNotSupportedError('This is a folder; a file cannot be written over it.');
    const isNew = !(await this.exists());
    await engine(this.mirror.writeFile(this.path, bodyChunks(input)));
    this.changed();
    // A file made anew where another was removed by other means (the app, another share) starts without properties.
    if (isNew) await this.share.props.drop(this.mirror.id, this.path);
  }

  /** MKCOL, or the empty file a LOCK on an unmapped URL creates (RFC 4918 §7.3). */
  async create(_user: User): Promise<void> {
    if (await this.exists()) throw new ResourceExistsError('Something already exists at this address.');
    const parent = parentPath(this.path);
    const parentStat = parent === '' ? null : await this.mirror.stat(parent).catch(() => null);
    if (parent !== '' && parentStat?.type !== 'dir') {
      throw new ResourceTreeNotCompleteError('The folder this would go in does not exist; create it first.');
    }
    if (this.#kind === 'dir') await engine(this.mirror.mkdir(this.path));
    else await engine(this.mirror.writeFile(this.path, new Uint8Array(0)));
    this.changed();
    await this.share.props.drop(this.mirror.id, this.path);
  }

  async delete(_user: User): Promise<void> {
    await engine(this.mirror.remove(this.path));
    this.changed();
    await this.share.props.drop(this.mirror.id, this.path);
    this.share.locks.dropUnder(this.mirror.id, this.path);
  }

  // copy and move are part of nephele's Resource interface; our COPY and MOVE (dav-methods.ts) work on whole trees
  // through the engine and do not call them, but they do the right thing for one resource if anything does.
  async copy(destination: URL, baseUrl: URL, _user: User): Promise<void> {
    const to = this.adapter.pathOf(destination, baseUrl);
    if (await this.isCollection()) await engine(this.mirror.mkdir(to));
    else await engine(this.mirror.writeFile(to, (await engine(this.mirror.openReader(this.path), true)).chunks));
  }

  async move(destination: URL, baseUrl: URL, _user: User): Promise<void> {
    await engine(this.mirror.rename(this.path, this.adapter.pathOf(destination, baseUrl)));
  }

  async getLength(): Promise<number> {
    const s = await this.stat();
    return s.type === 'dir' ? 0 : s.size;
  }

  async getEtag(): Promise<string> { return etagOf(await this.stat()); }

  async getMediaType(): Promise<string | null> {
    return (await this.isCollection()) ? null : mediaTypeOf(this.path);
  }

  async getCanonicalName(): Promise<string> { return baseName(this.path); }
  async getCanonicalPath(): Promise<string> { return `/${this.path}`; }

  async getCanonicalUrl(): Promise<URL> {
    const dir = this.path === '' || this.#parent || (this.#stat ? this.#stat.type === 'dir'
      : this.#kind !== undefined ? this.#kind === 'dir' : (await this.exists()) && (await this.stat()).type === 'dir');
    return new URL(hrefOf(this.baseUrl.pathname, this.path, dir), this.baseUrl);
  }

  async isCollection(): Promise<boolean> {
    if (this.path === '') return true;
    if (this.#stat) return this.#stat.type === 'dir';
    if (this.#kind !== undefined && !(await this.exists())) return this.#kind === 'dir';
    return (await this.stat()).type === 'dir';
  }

  async getInternalMembers(_user: User): Promise<Resource[]> {
    const entries = await engine(this.mirror.readdir(this.path), true);
    return entries.map((e) => new EngineResource(this.adapter, this.baseUrl, this.path ? `${this.path}/${e.name}` : e.name, {
      stat: { type: e.type, size: e.size, mtimeMs: e.mtimeMs },
    }));
  }
}

/**
 * The parent nephele walks up to on every request (locks held above a path): made without a lookup, so a lock check
 * costs no engine call per level; asked whether it is a folder (PUT, MKCOL), it looks.
 */
export function parentResource(r: EngineResource): EngineResource | undefined {
  if (r.path === '') return undefined;
  return new EngineResource(r.adapter, r.baseUrl, parentPath(r.path), { parent: true });
}

export class EngineLock implements Lock {
  readonly resource: EngineResource;
  readonly username: string;
  token: string;
  date: Date;
  timeout: number;
  scope: 'exclusive' | 'shared';
  depth: '0' | 'infinity';
  provisional: boolean;
  owner: unknown;

  constructor(resource: EngineResource, r: LockRecord) {
    this.resource = resource;
    this.username = r.username;
    this.token = r.token;
    this.date = new Date(r.date);
    this.timeout = r.timeout;
    this.scope = r.scope;
    this.depth = r.depth;
    this.provisional = r.provisional;
    this.owner = r.owner;
  }

  async save(): Promise<void> {
    const saved = this.resource.share.locks.save({
      token: this.token, mirrorId: this.resource.mirror.id, path: this.resource.path, username: this.username,
      date: this.date.getTime(), timeout: this.timeout, scope: this.scope, depth: this.depth, provisional: this.provisional, owner: this.owner,
    });
    if (!saved) throw new ServiceUnavailableError('Too many locks are held on this share; try again later.');
  }

  async delete(): Promise<void> { this.resource.share.locks.delete(this.token); }
}
