// The WebDAV methods: nephele's, with its five measured defects fixed (../shared/reference/webdav.md §2.2), and our own
// COPY, MOVE and DELETE, which act on whole trees through single engine operations (one rename, one remove) instead
// of nephele's file-by-file walks. Every class here is stateless: one instance serves every request.
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Request } from 'express';
import * as xml2js from 'xml2js';
import type { AuthResponse, Lock, Resource } from 'nephele';
import {
  BadRequestError, catchErrors, ForbiddenError, GET_HEAD, HTTPStatusMessages, LOCK, MediaTypeNotSupportedError, Method, MKCOL,
  NotAcceptableError, OPTIONS, PreconditionFailedError, PROPFIND, PROPPATCH, PUT, ResourceNotFoundError,
  ResourceTreeNotCompleteError, UNLOCK,
} from 'nephele';
import type { Mirror } from '../../index.ts';
import { conditionXml, DavStatusError, engine, fromEngine } from './dav-errors.ts';
import { hrefOf, isAtOrUnder, parentPath } from './dav-paths.ts';
import { type EngineAdapter, EngineLock, EngineResource, parentResource } from './engine-adapter.ts';
import type { LockRecord } from './dav-state.ts';
import { multistatus, propfindWant, type MultistatusBytes } from './propfind.ts';
import { giveChunk } from '../../fs/chunk-pool.ts';
import { mirrorQuota } from './resource-properties.ts';

/** Largest XML request body (PROPFIND, PROPPATCH, LOCK): a property request is kilobytes; 10 MiB is an attack. */
export const MAX_XML_BYTES = 1 << 20;
/** Elements nested deeper than this in a request body are refused before anything recurses over them. */
const MAX_XML_DEPTH = 64;
/** Largest body a method that takes none may carry before it is refused unread. */
const MAX_IGNORED_BODY = 64 << 10;

// ── XML in: defects 3 (same-name properties in other namespaces dropped) and 4 (malformed XML answered 500) ──────

type XmlNode = Record<string, unknown>;

/**
 * xml2js (with xmlns) files sibling elements under their written name, so `<x xmlns="urn:a"/>` and `<x xmlns="urn:b"/>`
 * land in one array, and nephele's rewrite then names the whole array after the first one's namespace: the others
 * vanish (litmus props 27). Split such arrays by namespace, under distinct keys, before nephele sees them.
 */
function splitByNamespace(node: unknown, depth = 0): void {
  if (depth > MAX_XML_DEPTH) throw new BadRequestError(`The request body nests elements more than ${MAX_XML_DEPTH} deep.`);
  if (Array.isArray(node)) { for (const n of node) splitByNamespace(n, depth); return; }
  if (node === null || typeof node !== 'object') return;
  const obj = node as XmlNode;
  for (const key of Object.keys(obj)) {
    if (key === '$' || key === '$ns' || key === '_') continue;
    const value = obj[key];
    if (Array.isArray(value) && value.length > 1) {
      const groups = new Map<string, unknown[]>();
      for (const el of value) {
        const uri = (el as { $ns?: { uri?: string } } | null)?.$ns?.uri ?? '';
        groups.set(uri, [...(groups.get(uri) ?? []), el]);
      }
      if (groups.size > 1) {
        let i = 0;
        for (const els of groups.values()) obj[i++ === 0 ? key : `${key}\u0001${i}`] = els;
      }
    }
    splitByNamespace(obj[key], depth + 1);
  }
}

/** nephele's parser, answering 400 (not 500) to a body that is not well-formed XML. */
class SafeXmlParser extends xml2js.Parser {
  readonly #options: xml2js.ParserOptions;
  readonly #split: boolean;
  constructor(options: xml2js.ParserOptions, split: boolean) {
    super(options);
    this.#options = options;
    this.#split = split;
  }

  override async parseStringPromise(xml: string): Promise<any> {
    let parsed: unknown;
    try {
      parsed = await new xml2js.Parser(this.#options).parseStringPromise(xml); // a parser per call: no shared state
    } catch (e) {
      throw new BadRequestError(`The request body is not well-formed XML (${(e as Error).message.split('\n')[0]}).`);
    }
    if (this.#split) splitByNamespace(parsed);
    return parsed;
  }
}

/** The one XML answer (a 207 naming only the request's own URL) that should have been a plain status (defect 1). */
async function soleStatus(xml: string, requestUrl: URL): Promise<{ status: number; condition?: string } | null> {
  let parsed: any;
  try {
    parsed = await new xml2js.Parser({ tagNameProcessors: [xml2js.processors.stripPrefix], explicitArray: true }).parseStringPromise(xml);
  } catch {
    return null;
  }
  const responses: any[] = parsed?.multistatus?.response ?? [];
  if (responses.length === 0) return null;
  const same = (href: string) => {
    try {
      const a = decodeURIComponent(new URL(href, requestUrl).pathname).replace(/\/$/, '');
      return a === decodeURIComponent(requestUrl.pathname).replace(/\/$/, '');
    } catch { return false; }
  };
  let pick: { status: number; condition?: string } | null = null;
  for (const r of responses) {
    const href = typeof r.href?.[0] === 'string' ? r.href[0] : r.href?.[0]?._;
    if (typeof href !== 'string' || !same(href) || r.propstat || !r.status) return null;
    const status = Number(/HTTP\/1\.1 (\d{3})/.exec(String(r.status[0]))?.[1]);
    const condition = r.error?.[0] && typeof r.error[0] === 'object' ? Object.keys(r.error[0]).find((k) => k !== '$') : undefined;
    // 424 (Failed Dependency) only says "because of the other one".
    if (status !== 424 && pick === null) pick = { status, ...(condition ? { condition } : {}) };
  }
  return pick;
}

/** A compressed request body, decompressed; a body that is not what its Content-Encoding says is the client's error. */
async function* inflated(stream: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('Z_')) throw new BadRequestError(`The request body is not valid for its Content-Encoding (${(e as Error).message}).`);
    throw e;
  }
}

/** The methods whose nephele implementation can wrap a failure of the request's own resource in a 207. */
const UNWRAPPED = new Set(['LOCK', 'UNLOCK', 'COPY', 'MOVE', 'DELETE']);

/** The request's own URL, as nephele computes it. */
const requestUrlOf = (request: Request) => new URL(request.originalUrl, `${request.protocol}://${request.headers.host}`);

type MethodCtor = new (...args: any[]) => Method;

/** What every method of the share does differently from nephele's own (the defects, bounded bodies, cheap walks). */
function davMethod<B extends MethodCtor>(Base: B) {
  return class DavMethod extends Base {
    override DEV = false;
    override xmlParser = new SafeXmlParser({ xmlns: true }, true);
    override xmlBuilder = new xml2js.Builder({ xmldec: { version: '1.0', encoding: 'UTF-8' }, renderOpts: { pretty: false, indent: '', newline: '' } });

    /** nephele's decompression throws from a pipeline callback, which kills the process on a bad gzip body. */
    override async getBodyStream(request: Request, _response: AuthResponse): Promise<Readable> {
      if (request.get('Content-Length') === '0') return Readable.from(Buffer.alloc(0));
      const encoding = request.get('Content-Encoding')?.trim().toLowerCase();
      const inflate = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip()
        : encoding === 'deflate' ? zlib.createInflate() : encoding === 'br' ? zlib.createBrotliDecompress() : null;
      if (inflate) return Readable.from(inflated(pipeline(request, inflate, () => {})), { objectMode: false });
      if (encoding !== undefined && encoding !== 'identity') throw new MediaTypeNotSupportedError(`Content-Encoding ${encoding} is not supported.`);
      return request;
    }

    /** The XML body, read up to MAX_XML_BYTES (413 past that; nephele reads any size into memory). */
    override async getBodyXML(request: Request, response: AuthResponse): Promise<string | null> {
      const declared = Number(request.get('Content-Length') ?? 0);
      if (declared > MAX_XML_BYTES) throw new DavStatusError(413, `The request body is ${declared} bytes; at most ${MAX_XML_BYTES} are accepted here.`);
      const typeHeader = request.get('Content-Type');
      if (typeHeader === undefined && request.get('Content-Length') === '0') return null;
      const [type, ...params] = (typeHeader ?? 'application/xml').split(';').map((s) => s.trim().toLowerCase());
      if (type !== 'text/xml' && type !== 'application/xml') throw new MediaTypeNotSupportedError('The body must be XML (text/xml or application/xml).');
      const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/^"|"$/g, '') ?? 'utf-8';
      if (!['utf-8', 'utf8', 'us-ascii', 'ascii'].includes(charset)) throw new MediaTypeNotSupportedError(`Charset ${charset} is not supported; send UTF-8.`);
      const stream = await this.getBodyStream(request, response);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_XML_BYTES) {
          stream.destroy();
          throw new DavStatusError(413, `The request body is larger than the ${MAX_XML_BYTES} bytes accepted here.`);
        }
        chunks.push(chunk);
      }
      const xml = Buffer.concat(chunks).toString('utf8');
      return xml.trim() === '' ? null : xml;
    }

    /**
     * Defect 3, the answer's half: nephele writes a property of a namespace it has no prefix for as `<name xmlns=…>`,
     * keyed by its local name, so `{urn:a}x` and `{urn:b}x` overwrite each other in the answer. Give every namespace
     * in the answer a prefix: distinct names stay distinct.
     */
    override async renderXml(xml: any, prefixes: Record<string, string> = {}): Promise<string> {
      const all = { ...prefixes };
      const known = new Set(Object.values(all));
      let n = 0;
      const visit = (node: unknown, depth: number): void => {
        if (depth > MAX_XML_DEPTH * 2 || node === null || typeof node !== 'object') return;
        if (Array.isArray(node)) { for (const x of node) visit(x, depth + 1); return; }
        for (const [key, value] of Object.entries(node)) {
          const sep = key.indexOf('%%');
          if (sep > 0 && key !== '$') {
            const uri = key.slice(0, sep);
            if (!known.has(uri)) {
              while (`ns${n}` in all) n++;
              all[`ns${n}`] = uri;
              known.add(uri);
            }
          }
          if (key !== '$') visit(value, depth + 1);
        }
      };
      visit(xml, 0);
      return super.renderXml(xml, all);
    }

    /** Lock timeouts in whole seconds: "Second-" takes digits only (RFC 4918 §10.7), and davfs2 parses it so. */
    override async formatLocks(locks: Lock[]): Promise<any> {
      const xml: { activelock?: { timeout?: { _: string } }[] } = await super.formatLocks(locks);
      for (const l of xml.activelock ?? []) {
        const m = /^Second-([\d.]+)$/.exec(l.timeout?._ ?? '');
        if (m && l.timeout) l.timeout._ = `Second-${Math.max(0, Math.floor(Number(m[1])))}`;
      }
      return xml;
    }

    /** One adapter serves the whole share: its root is /dav/, and nothing below it is another adapter's root. */
    override async isAdapterRoot(request: Request, _response: AuthResponse, url: URL): Promise<boolean> {
      return url.pathname.replace(/\/?$/, '/') === request.baseUrl.replace(/\/?$/, '/');
    }

    /**
     * The locks that bear on a resource, straight from the lock table (nephele walks up resource by resource, and
     * PROPFIND asks for every entry of a listing): its own, its folder's depth-0 ones, every ancestor's depth-infinity.
     */
    override async getLocks(request: Request, response: AuthResponse, resource: Resource) {
      return this.#locksOf(resource, (l) => !l.provisional) ?? super.getLocks(request, response, resource);
    }

    override async getLocksByUser(request: Request, response: AuthResponse, resource: Resource, user: { username: string }) {
      return this.#locksOf(resource, (l) => !l.provisional && l.username === user.username) ?? super.getLocksByUser(request, response, resource, user);
    }

    override async getProvisionalLocks(request: Request, response: AuthResponse, resource: Resource) {
      return this.#locksOf(resource, (l) => l.provisional) ?? super.getProvisionalLocks(request, response, resource);
    }

    #locksOf(resource: Resource, keep: (l: LockRecord) => boolean): { all: Lock[]; resource: Lock[]; depthZero: Lock[]; depthInfinity: Lock[] } | null {
      if (!(resource instanceof EngineResource)) return null;
      const out = { all: [] as Lock[], resource: [] as Lock[], depthZero: [] as Lock[], depthInfinity: [] as Lock[] };
      const table = resource.share.locks;
      if (table.size === 0) return out;
      const mirrorId = resource.mirror.id;
      const now = Date.now();
      const live = (l: LockRecord) => {
        if (l.date + l.timeout > now) return keep(l);
        table.delete(l.token); // timed out: gone, as nephele's own walk would delete it
        return false;
      };
      const lockAt = (l: LockRecord) => new EngineLock(new EngineResource(resource.adapter, resource.baseUrl, l.path, { parent: l.path !== resource.path }), l);
      for (const l of table.at(mirrorId, resource.path).filter(live)) { const k = lockAt(l); out.resource.push(k); out.all.push(k); }
      for (let p = resource.path, first = true; p !== ''; first = false) {
        p = parentPath(p);
        for (const l of table.at(mirrorId, p).filter(live)) {
          if (l.depth === 'infinity') { const k = lockAt(l); out.depthInfinity.push(k); out.all.push(k); }
          else if (first) { const k = lockAt(l); out.depthZero.push(k); out.all.push(k); }
        }
      }
      return out;
    }

    /** The walk up for locks, made without an engine lookup per level (see parentResource). */
    override async getParentResource(request: Request, response: AuthResponse, resource: Resource): Promise<Resource | undefined> {
      if (resource instanceof EngineResource) return parentResource(resource);
      return super.getParentResource(request, response, resource);
    }

    /**
     * Defect 1: nephele answers some failures on the request's own resource (UNLOCK or a LOCK refresh with a token
     * that does not match, a lock conflict on the resource itself) as a 207 holding one response. A client that reads
     * only the status line takes that for success; send the status itself. nephele does not always await this call,
     * so it never throws.
     */
    override async sendBodyContent(response: AuthResponse, content: string, encoding: 'gzip' | 'x-gzip' | 'deflate' | 'br' | 'identity'): Promise<void> {
      try {
        const request = response.req as Request;
        // Only where nephele does it, and only a small answer: PROPFIND's 207 is its real answer, and can be megabytes.
        const suspect = response.statusCode === 207 && UNWRAPPED.has(request.method) && content.length < 64 << 10;
        const sole = suspect ? await soleStatus(content, requestUrlOf(request)) : null;
        if (sole) {
          // UNLOCK with a token the resource is not locked by: 409 with the precondition (RFC 4918 §9.11.1).
          const status = request.method === 'UNLOCK' && sole.status === 412 ? 409 : sole.status;
          const body = sole.condition ? conditionXml(sole.condition) : `${status === 409 ? 'That lock token does not lock this resource.' : 'Refused.'}\n`;
          response.status(status).set('Content-Type', sole.condition ? 'application/xml; charset=utf-8' : 'text/plain; charset=utf-8');
          await super.sendBodyContent(response, body, 'identity');
          return;
        }
        await super.sendBodyContent(response, content, encoding);
      } catch {
        response.destroy();
      }
    }
  };
}

/** A body-parsing method: a well-formed body of the wrong shape trips nephele on a missing element; that is a 400. */
async function shapeChecked(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof TypeError) throw new BadRequestError('The request body does not have the elements this method needs.');
    throw e;
  }
}

export class DavOptions extends davMethod(OPTIONS) {}
export class DavMkcol extends davMethod(MKCOL) {}
export class DavUnlock extends davMethod(UNLOCK) {}

export class DavGetHead extends davMethod(GET_HEAD) {
  override async run(request: Request, response: AuthResponse): Promise<void> {
    // nephele leaves Content-Length out of HEAD; clients size a download (and davfs2 its cache) from it.
    if (request.method === 'HEAD') {
      const r = await response.locals.adapter.getResource(requestUrlOf(request), response.locals.baseUrl);
      if (!(await r.isCollection())) response.set('Content-Length', String(await r.getLength()));
    }
    await super.run(request, response);
  }
}

export class DavPut extends davMethod(PUT) {
  override async run(request: Request, response: AuthResponse): Promise<void> {
    // A PUT with Content-Range writes part of a file; written whole, it would truncate it (RFC 9110 §14.5).
    if (request.get('Content-Range') !== undefined) throw new BadRequestError('Partial PUT (Content-Range) is not supported: send the whole file.');
    // An If header that fails is a 412 even on a locked resource (RFC 4918 §10.4.1); nephele checks the lock first.
    if (request.get('If') !== undefined) await this.checkConditionalHeaders(request, response);
    await super.run(request, response);
  }
}

/** Request bodies a PROPFIND read before leaving the request to nephele's own (which reads it again from here). */
const propfindBodies = new WeakMap<Request, string | null>();

export class DavPropfind extends davMethod(PROPFIND) {
  override async run(request: Request, response: AuthResponse): Promise<void> {
    // RFC 4918 §9.1: a server may refuse Depth: infinity (what it means on a big tree is the whole NAS in one answer).
    const depth = (request.get('Depth') ?? 'infinity').trim().toLowerCase();
    if (depth === 'infinity') {
      throw new DavStatusError(403, 'PROPFIND with Depth: infinity is not served; list one level at a time (Depth: 1).', { xml: conditionXml('propfind-finite-depth') });
    }
    await shapeChecked(async () => {
      if (!(await this.answer(request, response))) await super.run(request, response);
    });
  }

  /**
   * Depth 0 or 1 with allprop (or no body) or named properties: the answer written in one pass from the folder's
   * listing (propfind.ts), with nephele's checks in nephele's order. false leaves the request to nephele's PROPFIND
   * (propname, a malformed Depth or body); nothing has been answered then.
   */
  async answer(request: Request, response: AuthResponse): Promise<boolean> {
    const depth = request.get('Depth');
    if (depth !== '0' && depth !== '1') return false;
    const { url, encoding } = this.getRequestData(request, response);
    await this.checkAuthorization(request, response, 'PROPFIND');
    const contentType = request.accepts('application/xml', 'text/xml');
    if (!contentType) throw new NotAcceptableError('Requested content type is not supported.');
    const resource = asEngine(await response.locals.adapter.getResource(url, response.locals.baseUrl));
    const collection = await resource.isCollection();
    if (collection && !url.toString().endsWith('/')) response.set({ 'Content-Location': `${url}/` });
    const body = await this.getBodyXML(request, response);
    propfindBodies.set(request, body);
    const { output, prefixes } = body ? await this.parseXml(body) : { output: null, prefixes: {} };
    const want = propfindWant(output);
    if (want === null) return false;
    await this.checkConditionalHeaders(request, response);
    // Who may see what is settled before a method runs (dav-route.ts), and the share is one adapter: nephele's checks
    // of each entry (isAuthorized, isAdapterRoot) would only say yes. The entries are the engine's listing itself (as
    // getInternalMembers has it), not a resource object each.
    const listing = depth === '1' && collection ? await engine(resource.mirror.readdir(resource.path), true) : [];
    const { share, baseUrl } = resource;
    const mirrorId = resource.mirror.id;
    const xml = await multistatus({ path: resource.path, stat: await resource.stat() }, listing, {
      want, prefixes, baseUrl,
      dead: (path) => share.props.get(mirrorId, path),
      lockdiscovery: share.locks.size === 0 ? null : async ({ path, stat }) =>
        this.formatLocks((await this.getLocks(request, response, new EngineResource(resource.adapter, baseUrl, path, { stat }))).all),
      quota: () => mirrorQuota(resource.mirror),
    });
    response.status(207).set({ 'Content-Type': `${contentType}; charset=utf-8` });
    await this.sendBodyContent(response, xml, encoding);
    return true;
  }

  /**
   * The multistatus is bytes in pool chunks (propfind.ts). Sent uncompressed, they go as they are, with the headers
   * nephele's sendBodyContent sets, and each chunk goes back to the pool once the socket has taken it (as a GET's do,
   * released-stream.ts); nephele makes one buffer of its text with Buffer.from, a copy of 6.3 MB of fresh memory for
   * 10,000 entries. Compressed, nephele sends it, joined.
   */
  override async sendBodyContent(response: AuthResponse, content: string | MultistatusBytes, encoding: Parameters<PROPFIND['sendBodyContent']>[2]): Promise<void> {
    if (typeof content === 'string') return super.sendBodyContent(response, content, encoding);
    if (this.opts.compression && encoding !== 'identity') {
      const whole = Buffer.concat(content.parts, content.length);
      for (const p of content.parts) giveChunk(p);
      return super.sendBodyContent(response, whole as unknown as string, encoding);
    }
    try {
      response.vary('Accept-Encoding');
      response.set({ 'Content-Length': String(content.length) });
      for (const p of content.parts) response.write(p, (e) => { if (!e) giveChunk(p); });
      response.end();
    } catch {
      response.destroy();
    }
  }

  override async getBodyXML(request: Request, response: AuthResponse): Promise<string | null> {
    const read = propfindBodies.get(request);
    return read !== undefined ? read : super.getBodyXML(request, response);
  }
}

export class DavProppatch extends davMethod(PROPPATCH) {
  override xmlParserPreserveOrder = new SafeXmlParser({ xmlns: true, explicitChildren: true, preserveChildrenOrder: true }, false);
  override async run(request: Request, response: AuthResponse): Promise<void> {
    await shapeChecked(() => super.run(request, response));
  }
}

export class DavLock extends davMethod(LOCK) {
  /** Defect 2: RFC 4918 §14.17 makes <owner> optional; nephele refuses an empty or absent one (davfs2 sends one). */
  override async parseXml(xml: string): Promise<{ output: any; prefixes: Record<string, string> }> {
    const parsed = await super.parseXml(xml);
    const info = parsed.output?.lockinfo;
    if (info && typeof info === 'object') {
      const owner = info.owner;
      const empty = !Array.isArray(owner) || owner.length === 0 || owner[0] == null || (typeof owner[0] === 'object' && Object.keys(owner[0]).length === 0);
      if (empty) info.owner = [{ _: '' }];
    }
    return parsed;
  }

  override async run(request: Request, response: AuthResponse): Promise<void> {
    await shapeChecked(() => super.run(request, response));
  }
}

// ── COPY, MOVE, DELETE over the engine ──────────────────────────────────────────────────────────────────────────

/** The share's resources are all EngineResources; this narrows what nephele hands back. */
const asEngine = (r: Resource) => r as EngineResource;

/** What the tree methods share: the Destination and Overwrite headers, empty bodies, and lock checks over subtrees. */
class TreeMethod extends davMethod(Method) {
  adapter(response: AuthResponse): EngineAdapter { return response.locals.adapter as EngineAdapter; }

  async existing(response: AuthResponse, url: URL): Promise<EngineResource | null> {
    try {
      return asEngine(await response.locals.adapter.getResource(url, response.locals.baseUrl));
    } catch (e) {
      if (e instanceof ResourceNotFoundError) return null;
      throw e;
    }
  }

  /** The Destination of a COPY or MOVE: on this server and inside the share (502 otherwise, RFC 4918 §9.8.5). */
  destination(request: Request, response: AuthResponse): { url: URL; path: string } {
    const header = request.get('Destination');
    if (header === undefined || header.trim() === '') throw new BadRequestError('A Destination header is required.');
    let url: URL;
    try {
      url = new URL(header.trim(), requestUrlOf(request));
    } catch {
      throw new BadRequestError('The Destination header is not a valid URL.');
    }
    if (url.hash !== '' || header.includes('#')) throw new BadRequestError('The Destination must not carry a fragment ("#").');
    if (url.host.toLowerCase() !== String(request.headers.host).toLowerCase()) throw new DavStatusError(502, 'The Destination is on another server.');
    return { url, path: this.adapter(response).pathOf(url, response.locals.baseUrl) };
  }

  /** Overwrite: absent means T (RFC 4918 §10.6). */
  overwrite(request: Request): boolean {
    const h = request.get('Overwrite')?.trim().toUpperCase();
    if (h === undefined || h === 'T') return true;
    if (h === 'F') return false;
    throw new BadRequestError('The Overwrite header must be T or F.');
  }

  /** These methods take no body (415 if one is sent, RFC 4918 §8.4); a large one is refused unread. */
  async noBody(request: Request, response: AuthResponse): Promise<void> {
    if (request.get('Content-Length') === undefined && request.get('Transfer-Encoding') === undefined) return;
    if (Number(request.get('Content-Length') ?? 0) > MAX_IGNORED_BODY) throw new MediaTypeNotSupportedError('This method takes no request body.');
    let size = 0;
    let text = false;
    for await (const chunk of (await this.getBodyStream(request, response)) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (chunk.toString('utf8').trim() !== '') text = true;
      if (size > MAX_IGNORED_BODY) break;
    }
    if (text || size > MAX_IGNORED_BODY) throw new MediaTypeNotSupportedError('This method takes no request body.');
  }

  /** 423 with the URLs whose lock tokens were not submitted (RFC 4918 §16 lock-token-submitted). */
  locked(hrefs: string[], message: string): DavStatusError {
    return new DavStatusError(423, message, { xml: conditionXml('lock-token-submitted', hrefs.map((h) => `<D:href>${escapeXml(h)}</D:href>`).join('')) });
  }

  /**
   * May this request change the binding of `r` (remove it from its folder, or put something there)? Locks on it, on
   * an ancestor with depth infinity, or on its folder with depth 0 stop it unless their token was submitted.
   */
  async mayRebind(request: Request, response: AuthResponse, r: EngineResource, what: string): Promise<void> {
    const permission = await this.getLockPermission(request, response, r, response.locals.user);
    if (permission === 2) return;
    const url = await r.getCanonicalUrl();
    throw this.locked([permission === 1 ? hrefOf(r.baseUrl.pathname, parentPath(r.path), true) : url.pathname], `${what}: it is locked and the lock token was not submitted.`);
  }

  /** Locks inside a folder being removed or replaced, whose tokens this request did not submit. */
  lockedInside(request: Request, r: EngineResource): string[] {
    const submitted = new Set(this.getRequestLockTockens(request));
    const now = Date.now();
    return r.share.locks.under(r.mirror.id, r.path)
      .filter((l) => l.path !== r.path && !l.provisional && l.date + l.timeout > now && !submitted.has(l.token))
      .map((l) => hrefOf(r.baseUrl.pathname, l.path, false));
  }

  /** The checks COPY and MOVE share, in RFC 4918's order; returns what the destination holds. */
  async prepareTransfer(request: Request, response: AuthResponse, o: { moving: boolean }) {
    const url = requestUrlOf(request);
    if (await this.isAdapterRoot(request, response, url)) throw new ForbiddenError(`The share's root cannot be ${o.moving ? 'moved' : 'copied'}.`);
    const source = await response.locals.adapter.getResource(url, response.locals.baseUrl) as EngineResource;
    const collection = await source.isCollection();
    const depth = (request.get('Depth') ?? 'infinity').trim().toLowerCase();
    if (collection && !(depth === 'infinity' || (!o.moving && depth === '0'))) {
      throw new BadRequestError(o.moving ? 'MOVE of a folder takes Depth: infinity (or none).' : 'COPY of a folder takes Depth: 0 or infinity.');
    }
    const dest = this.destination(request, response);
    const overwrite = this.overwrite(request);
    await this.noBody(request, response);
    if (dest.path === source.path) throw new ForbiddenError('The source and the destination are the same.');
    if (collection && isAtOrUnder(dest.path, source.path)) throw new ForbiddenError('A folder cannot be copied or moved into itself.');
    const target = await this.existing(response, dest.url);
    if (target && !overwrite) throw new PreconditionFailedError('Something exists at the destination and Overwrite is F.');
    if (target && isAtOrUnder(source.path, target.path)) throw new ForbiddenError('The destination holds the source; replacing it would remove the source.');
    const parent = parentPath(dest.path);
    const parentStat = parent === '' ? null : await source.mirror.stat(parent).catch(() => null);
    if (parent !== '' && parentStat?.type !== 'dir') throw new ResourceTreeNotCompleteError('The destination folder does not exist; create it first.');
    const destResource = target ?? asEngine(await response.locals.adapter.newResource(dest.url, response.locals.baseUrl));
    if (o.moving) {
      await this.mayRebind(request, response, source, 'The source cannot be moved');
      const inside = collection ? this.lockedInside(request, source) : [];
      if (inside.length) throw this.locked(inside, 'Something inside the folder is locked and its lock token was not submitted.');
    }
    await this.mayRebind(request, response, destResource, 'The destination cannot be replaced');
    const insideTarget = target && (await target.isCollection()) ? this.lockedInside(request, target) : [];
    if (insideTarget.length) throw this.locked(insideTarget, 'Something inside the destination is locked and its lock token was not submitted.');
    await this.checkConditionalHeaders(request, response);
    response.set({ 'Cache-Control': 'private, no-cache' });
    return { source, collection, depth, dest, target, targetIsDir: target ? await target.isCollection() : false };
  }

  /** 201 with Location for a new binding, 204 when one was replaced (RFC 4918 §9.8.5, §9.9.4). */
  done(response: AuthResponse, replaced: boolean, dest: URL): void {
    if (replaced) response.status(204);
    else response.status(201).set('Location', dest.toString());
    response.set('Content-Length', '0').end();
  }
}

export class DavDelete extends TreeMethod {
  override async run(request: Request, response: AuthResponse): Promise<void> {
    const url = requestUrlOf(request);
    if (await this.isAdapterRoot(request, response, url)) throw new ForbiddenError("The share's root cannot be deleted.");
    if (!request.accepts('application/xml', 'text/xml')) throw new NotAcceptableError('Requested content type is not supported.');
    const r = asEngine(await response.locals.adapter.getResource(url, response.locals.baseUrl));
    const depth = request.get('Depth')?.trim().toLowerCase();
    if ((await r.isCollection()) && depth !== undefined && depth !== 'infinity') throw new BadRequestError('DELETE of a folder takes Depth: infinity (or none).');
    await this.noBody(request, response);
    await this.mayRebind(request, response, r, 'It cannot be deleted');
    const inside = this.lockedInside(request, r);
    if (inside.length) throw this.locked(inside, 'Something inside the folder is locked and its lock token was not submitted.');
    await this.checkConditionalHeaders(request, response);
    // One engine remove for the whole tree: atomic on every member, and kept in Recently deleted for its retention.
    await r.delete(response.locals.user);
    response.status(204).set('Content-Length', '0').end();
  }
}

/** Copies one file through the engine: read (checksum-verified, waiting like any fallback read), written atomically. */
async function copyFile(mirror: Mirror, from: string, to: string): Promise<void> {
  const reader = await engine(mirror.openReader(from), true);
  try {
    await engine(mirror.writeFile(to, reader.chunks));
  } finally {
    await reader.chunks.return?.();
  }
}

export class DavCopy extends TreeMethod {
  override async run(request: Request, response: AuthResponse): Promise<void> {
    if (!request.accepts('application/xml', 'text/xml')) throw new NotAcceptableError('Requested content type is not supported.');
    const t = await this.prepareTransfer(request, response, { moving: false });
    const mirror = t.source.mirror;
    const replaceWhole = t.target && (t.targetIsDir || t.collection);
    if (replaceWhole) await t.target!.delete(response.locals.user);
    const failures: { href: string; status: number; message: string }[] = [];
    if (t.collection) {
      await engine(mirror.mkdir(t.dest.path));
      if (t.depth === 'infinity') await this.#copyTree(mirror, t.source, t.source.path, t.dest.path, failures);
    } else {
      await copyFile(mirror, t.source.path, t.dest.path);
    }
    await t.source.share.props.copy(mirror.id, t.source.path, t.dest.path);
    if (failures.length) {
      // Some members of the tree could not be copied (RFC 4918 §9.8.5): say which, each with its own status.
      const body = `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${failures.map((f) =>
        `<D:response><D:href>${escapeXml(f.href)}</D:href><D:status>HTTP/1.1 ${f.status} ${statusText(f.status)}</D:status><D:responsedescription>${escapeXml(f.message)}</D:responsedescription></D:response>`).join('')}</D:multistatus>\n`;
      response.status(207).set('Content-Type', 'application/xml; charset=utf-8').send(body);
      return;
    }
    this.done(response, t.target !== null, t.dest.url);
  }

  /** The folder's contents, each file and folder through the engine; a member that fails is reported, the rest go on. */
  async #copyTree(mirror: Mirror, root: EngineResource, from: string, to: string, failures: { href: string; status: number; message: string }[]): Promise<void> {
    for (const e of await engine(mirror.readdir(from), true)) {
      const src = `${from}/${e.name}`, dst = `${to}/${e.name}`;
      try {
        if (e.type === 'dir') {
          await engine(mirror.mkdir(dst));
          await this.#copyTree(mirror, root, src, dst, failures);
        } else {
          await copyFile(mirror, src, dst);
        }
      } catch (err) {
        const mapped = fromEngine(err);
        failures.push({ href: hrefOf(root.baseUrl.pathname, dst, e.type === 'dir'), status: await statusOf(mapped), message: (mapped as Error).message });
      }
    }
  }
}

export class DavMove extends TreeMethod {
  override async run(request: Request, response: AuthResponse): Promise<void> {
    if (!request.accepts('application/xml', 'text/xml')) throw new NotAcceptableError('Requested content type is not supported.');
    const t = await this.prepareTransfer(request, response, { moving: true });
    const mirror = t.source.mirror;
    const from = t.source.path, to = t.dest.path;
    // One engine rename: the tree moves atomically on every member. A file it replaces is kept in Recently deleted
    // (the engine's `replace`); the engine never lets a rename replace a folder, so a folder in the way (or a file in
    // the way of a folder) is removed first, through Recently deleted too, then the rename lands.
    if (t.target && (t.targetIsDir || t.collection)) {
      await t.target.delete(response.locals.user);
      await engine(mirror.rename(from, to));
    } else {
      await engine(mirror.rename(from, to, { replace: t.target !== null }));
    }
    await t.source.share.props.move(mirror.id, from, to);
    t.source.share.locks.dropUnder(mirror.id, from);
    this.done(response, t.target !== null, t.dest.url);
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The status nephele's catchErrors gives an error (for one member of a multi-status). */
async function statusOf(e: unknown): Promise<number> {
  if (e instanceof DavStatusError) return e.status;
  let status = 500;
  await catchErrors(async () => { throw e; }, async (code) => { status = code; })();
  return status;
}

const statusText = (status: number): string => (HTTPStatusMessages as Record<number, string>)[status] ?? '';
