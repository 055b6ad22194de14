// The properties of one resource: live ones computed from the engine's stat (size, dates, ETag, type, quota), dead
// ones (set by PROPPATCH) from the share's durable store, applied all or nothing.
import { statfs } from 'node:fs/promises';
import type { Properties, User } from 'nephele';
import { InsufficientStorageError, PropertyIsProtectedError, PropertyNotFoundError } from 'nephele';
import type { FileStat, Mirror } from '../../index.ts';
import type { EngineResource } from './engine-adapter.ts';
import type { PropInstruction, PropValue } from './dav-state.ts';

/**
 * The ETag of a version. Files are only ever replaced whole (atomically), so size and modification time name a
 * version. TODO(issue 13): derive it from the engine's checksum once FileStat carries it — the time differs from one
 * member to another, so with two fast members serving stats in turn the tag of an unchanged file could change.
 */
export function etagOf(s: FileStat): string {
  return `${s.size.toString(16)}-${Math.round(s.mtimeMs * 1000).toString(16)}`;
}

const MEDIA_TYPES: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', html: 'text/html', htm: 'text/html', css: 'text/css',
  js: 'text/javascript', json: 'application/json', xml: 'application/xml', pdf: 'application/pdf',
  zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar', '7z': 'application/x-7z-compressed',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic',
  svg: 'image/svg+xml', tif: 'image/tiff', tiff: 'image/tiff', mp3: 'audio/mpeg', flac: 'audio/flac', wav: 'audio/wav',
  ogg: 'audio/ogg', m4a: 'audio/mp4', mp4: 'video/mp4', mov: 'video/quicktime', mkv: 'video/x-matroska',
  webm: 'video/webm', avi: 'video/x-msvideo', doc: 'application/msword', xls: 'application/vnd.ms-excel',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet',
};

export function mediaTypeOf(path: string): string {
  const dot = path.lastIndexOf('.');
  const ext = dot > path.lastIndexOf('/') ? path.slice(dot + 1).toLowerCase() : '';
  return MEDIA_TYPES[ext] ?? 'application/octet-stream';
}

// Quota (RFC 4331) of the mirror: what the fullest in-use member can still take, as RAID1 reports its smallest disk.
let quotaCache: { at: number; mirrorId: string; value: { available: number; used: number } | null } | undefined;
const QUOTA_TTL_MS = 2000;

export async function mirrorQuota(mirror: Mirror): Promise<{ available: number; used: number } | null> {
  const now = Date.now();
  if (quotaCache && quotaCache.mirrorId === mirror.id && now - quotaCache.at < QUOTA_TTL_MS) return quotaCache.value;
  let best: { available: number; used: number } | null = null;
  for (const m of mirror.status().members) {
    if (m.state === 'faulty' || m.state === 'removed') continue;
    const s = await statfs(m.path).catch(() => null);
    if (!s) continue;
    const available = s.bavail * s.bsize;
    if (best === null || available < best.available) best = { available, used: (s.blocks - s.bfree) * s.bsize };
  }
  quotaCache = { at: now, mirrorId: mirror.id, value: best };
  return best;
}


/** The live properties of RFC 4918 §15 we compute; allprop returns these (quota is only on request, RFC 4331 §3). */
export const ALLPROP_LIVE = ['creationdate', 'getcontentlength', 'getcontenttype', 'getetag', 'getlastmodified', 'resourcetype', 'supportedlock'] as const;
export type LiveName = (typeof ALLPROP_LIVE)[number];
const LIVE_NAMES: ReadonlySet<string> = new Set(ALLPROP_LIVE);
export const QUOTA = ['quota-available-bytes', 'quota-used-bytes'] as const;
/** A client may not set these: they are the server's to say (lockdiscovery is nephele's). */
const PROTECTED = new Set<string>([...ALLPROP_LIVE, ...QUOTA, 'lockdiscovery']);

export const isAllpropLive = (name: string): name is LiveName => LIVE_NAMES.has(name);
export const isQuota = (name: string): name is (typeof QUOTA)[number] => name === QUOTA[0] || name === QUOTA[1];

/** A value every resource shares (a PROPFIND of a big folder writes each once): frozen, so none can change it. */
function shared<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) shared(v);
  return Object.freeze(o);
}
const COLLECTION_TYPE = shared({ collection: {} });
const FILE_TYPE = shared({});
const SUPPORTED_LOCK = shared({
  lockentry: [
    { lockscope: { exclusive: {} }, locktype: { write: {} } },
    { lockscope: { shared: {} }, locktype: { write: {} } },
  ],
});

/**
 * An allprop live property of the resource at `path`, from what the engine says of it (`s`), in nephele's value shape;
 * undefined when the resource has none (a folder has no length and no media type). The one place these are computed:
 * ResourceProperties.get and the one-pass PROPFIND (propfind.ts) both ask here.
 */
export function liveProperty(name: LiveName, path: string, s: FileStat): string | object | undefined {
  const collection = path === '' || s.type === 'dir';
  switch (name) {
    case 'creationdate': return new Date(s.mtimeMs).toISOString(); // no birth time through the engine
    case 'getcontentlength': return collection ? undefined : String(s.size);
    case 'getcontenttype': return collection ? undefined : mediaTypeOf(path);
    case 'getetag': return `"${etagOf(s)}"`;
    case 'getlastmodified': return new Date(s.mtimeMs).toUTCString();
    case 'resourcetype': return collection ? COLLECTION_TYPE : FILE_TYPE;
    case 'supportedlock': return SUPPORTED_LOCK;
  }
}

/** A quota property (RFC 4331) from the mirror's quota; undefined when no member could say. */
export function quotaProperty(name: (typeof QUOTA)[number], q: { available: number; used: number } | null): string | undefined {
  return q === null ? undefined : String(name === 'quota-available-bytes' ? q.available : q.used);
}

const notFound = (name: string) => new PropertyNotFoundError(`${name.replace('%%', '')} is not set on this resource.`);

export class ResourceProperties implements Properties {
  readonly resource: EngineResource;
  constructor(resource: EngineResource) { this.resource = resource; }

  #dead(): Record<string, PropValue> {
    const r = this.resource;
    return r.share.props.get(r.mirror.id, r.path);
  }

  async get(name: string): Promise<string | object> {
    const r = this.resource;
    let value: string | object | undefined;
    if (isAllpropLive(name)) value = liveProperty(name, r.path, await r.stat());
    else if (isQuota(name)) value = quotaProperty(name, await mirrorQuota(r.mirror));
    else {
      await r.stat(); // a property of a resource that is not there is not there either
      const dead = this.#dead();
      if (Object.hasOwn(dead, name)) value = dead[name];
    }
    if (value === undefined) throw notFound(name);
    return value;
  }

  async getByUser(name: string, _user: User): Promise<string | object> { return this.get(name); }

  async set(name: string, value: unknown): Promise<void> { await this.#one(['set', name, value]); }
  async setByUser(name: string, value: unknown, _user: User): Promise<void> { await this.set(name, value); }
  async remove(name: string): Promise<void> { await this.#one(['remove', name, undefined]); }
  async removeByUser(name: string, _user: User): Promise<void> { await this.remove(name); }

  async #one(i: PropInstruction): Promise<void> {
    const errors = await this.runInstructions([i]);
    if (errors?.length) throw errors[0]![1];
  }

  /** PROPPATCH: every instruction or none (RFC 4918 §9.2); nephele answers the others 424 when one fails. */
  async runInstructions(instructions: PropInstruction[]): Promise<undefined | [string, Error][]> {
    const refused = instructions.filter(([, name]) => PROTECTED.has(name))
      .map(([, name]): [string, Error] => [name, new PropertyIsProtectedError(`${name} is a protected property.`)]);
    if (refused.length) return refused;
    const r = this.resource;
    await r.stat();
    if (!(await r.share.props.apply(r.mirror.id, r.path, instructions))) {
      return instructions.map(([, name]): [string, Error] => [name, new InsufficientStorageError('The share holds as many properties as it keeps; remove some first.')]);
    }
    return undefined;
  }

  async runInstructionsByUser(instructions: PropInstruction[], _user: User): Promise<undefined | [string, Error][]> {
    return this.runInstructions(instructions);
  }

  /** allprop: the RFC 4918 live properties and every dead one; a property that cannot be had is left out. */
  async getAll(): Promise<Record<string, string | object>> {
    const out: Record<string, string | object> = { ...this.#dead() };
    for (const name of ALLPROP_LIVE) {
      try {
        out[name] = await this.get(name);
      } catch (e) {
        if (!(e instanceof PropertyNotFoundError)) throw e;
      }
    }
    return out;
  }

  async getAllByUser(_user: User): Promise<Record<string, string | object>> { return this.getAll(); }
  async list(): Promise<string[]> { return [...(await this.listLive()), ...(await this.listDead())]; }
  async listByUser(_user: User): Promise<string[]> { return this.list(); }
  async listLive(): Promise<string[]> { return [...ALLPROP_LIVE, ...QUOTA]; }
  async listLiveByUser(_user: User): Promise<string[]> { return this.listLive(); }
  async listDead(): Promise<string[]> { return Object.keys(this.#dead()); }
  async listDeadByUser(_user: User): Promise<string[]> { return this.listDead(); }
}
