// PROPFIND of one resource and its folder's listing (Depth 0 and 1, allprop or named properties), written in one pass:
// the properties of each entry straight from the engine's listing, the multistatus as strings — byte for byte what
// nephele's PROPFIND writes, without its awaits per property, its object tree and its XML builder (issue 13).
import { HTTPStatusMessages } from 'nephele';
import { hrefOf } from './dav-paths.ts';
import { POOL_CHUNK, takeChunk } from '../../fs/chunk-pool.ts';
import type { DirEntry, FileStat } from '../../index.ts';
import type { PropMap } from './dav-state.ts';
import { ALLPROP_LIVE, isAllpropLive, isQuota, type LiveName, liveProperty, quotaProperty } from './resource-properties.ts';

/** What a PROPFIND asks for, read as nephele reads it: allprop (with its include names), or named properties. */
export interface PropfindWant {
  allprop: boolean;
  /** Names as nephele keys them: "local" in DAV:, "uri%%local" otherwise; in request order, repeats kept. */
  names: string[];
}

type XmlNode = Record<string, unknown>;
const isNode = (v: unknown): v is XmlNode => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The request of a PROPFIND body (nephele's parseXml output; null for no body: allprop), or null when only nephele's
 * own PROPFIND answers it: propname, or a body not shaped as these (nephele then says what is wrong with it).
 */
export function propfindWant(xml: unknown): PropfindWant | null {
  if (xml === null) return { allprop: true, names: [] };
  if (!isNode(xml) || !isNode(xml.propfind) || 'propname' in xml.propfind) return null;
  const propfind = xml.propfind;
  const namesIn = (list: unknown): string[] | null => {
    if (!Array.isArray(list) || !list.every(isNode)) return null;
    return list.flatMap((el) => Object.keys(el).filter((name) => name !== '$'));
  };
  const allprop = 'allprop' in propfind;
  const include = allprop && 'include' in propfind ? namesIn(propfind.include) : [];
  const prop = 'prop' in propfind ? namesIn(propfind.prop) : [];
  if (include === null || prop === null) return null;
  return { allprop, names: [...include, ...prop] };
}

/** A resource the answer is about: its mirror path and what the engine says of it. */
export interface Listed { path: string; stat: FileStat }

/** What the answer needs beyond the resources themselves. */
export interface PropfindContext {
  want: PropfindWant;
  /** Where the share is (its hrefs are absolute URLs under it, as nephele's getCanonicalUrl makes them). */
  baseUrl: URL;
  /** The request body's namespace prefixes (nephele's parseXml): the answer declares them, as nephele's does. */
  prefixes: Record<string, string>;
  /** The dead properties of a path (the share's store). */
  dead(path: string): PropMap;
  /** lockdiscovery of a resource, in nephele's formatLocks shape; null when the share holds no lock at all. */
  lockdiscovery: ((r: Listed) => Promise<object>) | null;
  quota(): Promise<QuotaValue>;
}

type QuotaValue = { available: number; used: number } | null;

/**
 * One resource's part of the answer: its href, the properties it has in nephele's order — live ones already written
 * (they are in DAV: and the same under any prefixes), the others as [name, value] to write once the prefixes are
 * known — and the names it does not have.
 */
interface Answer { href: string; found: (string | [string, unknown])[]; missing: string[] }

/** What gathering one resource's properties needs besides the resource. */
interface Gather {
  c: PropfindContext;
  quota: QuotaValue;
  /** lockdiscovery values by path, for the resources that have locks. */
  locks: Map<string, object>;
  /** The written XML of live values that are objects (the same few for every entry). */
  memo: Map<unknown, string>;
}

/**
 * A resource's properties, gathered as nephele's PROPFIND does (allprop: dead ones first, then the live ones). `href`
 * is where it is, as getCanonicalUrl writes it (new URL(hrefOf(…), baseUrl)), without parsing a URL per entry.
 */
function answerOf({ path, stat }: Listed, href: string, g: Gather): Answer {
  const { c } = g;
  const dead = c.dead(path);
  const found: (string | [string, unknown])[] = [];
  const missing: string[] = [];
  if (c.want.allprop) {
    for (const name in dead) if (Object.hasOwn(dead, name)) found.push([name, dead[name]]);
    let xml = '';
    for (const name of ALLPROP_LIVE) xml += liveXml(name, path, stat, g.memo) ?? '';
    found.push(xml);
  }
  if (c.want.names.length) {
    // nephele skips a name its answer already holds (`name in propObj`): allprop's, or one asked for twice.
    const held = new Set(c.want.allprop ? [...Object.keys(dead), ...ALLPROP_LIVE.filter((n) => liveProperty(n, path, stat) !== undefined)] : []);
    for (const name of c.want.names) {
      if (name === 'lockdiscovery' || held.has(name)) continue;
      if (isAllpropLive(name)) {
        const xml = liveXml(name, path, stat, g.memo);
        if (xml === undefined) missing.push(name);
        else { found.push(xml); held.add(name); }
        continue;
      }
      const value = isQuota(name) ? quotaProperty(name, g.quota) : Object.hasOwn(dead, name) ? dead[name] : undefined;
      if (value === undefined) missing.push(name);
      else { found.push([name, value]); held.add(name); }
    }
  }
  if (wantsLocks(c.want)) {
    const locks = g.locks.get(path);
    found.push(locks ? ['lockdiscovery', locks] : '<lockdiscovery/>');
  }
  return { href, found, missing };
}

/** A live property written out (it is in DAV:, and reads the same under any prefixes); undefined when it has none. */
function liveXml(name: LiveName, path: string, stat: FileStat, memo: Map<unknown, string>): string | undefined {
  const value = liveProperty(name, path, stat);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return textElement(name, value);
  let xml = memo.get(value);
  if (xml === undefined) memo.set(value, (xml = propXml(name, value, [])));
  return xml;
}

const wantsLocks = (want: PropfindWant) => want.allprop || want.names.includes('lockdiscovery');

/** A multistatus as UTF-8: its parts in order (views of pool chunks, or buffers of their own), and their length. */
export interface MultistatusBytes { parts: Buffer[]; length: number }

/**
 * The 207 Multi-Status of a PROPFIND of `self` and (Depth 1) the entries of its folder, as the engine listed them, as
 * UTF-8 bytes. Two passes, neither holding every entry's properties: the namespaces the answer declares on its root,
 * then the answer itself. Each entry's XML is written as bytes at once, into pool chunks: a string of megabytes joined
 * from small pieces, then encoded to send, cost three times the CPU (10,000 entries: 105-115 ms → 38-39), and one
 * fresh buffer of the answer's size cost its page faults again at every PROPFIND (6.3 MB: ~30 ms here).
 */
export async function multistatus(self: Listed, entries: readonly DirEntry[], c: PropfindContext): Promise<MultistatusBytes> {
  const quota = c.want.names.some(isQuota) ? await c.quota() : null;
  const pathOf = (e: DirEntry) => (self.path === '' ? e.name : `${self.path}/${e.name}`);
  const locks = new Map<string, object>();
  if (c.lockdiscovery && wantsLocks(c.want)) {
    for (const r of [self, ...entries.map((e) => ({ path: pathOf(e), stat: e }))]) {
      const value = await c.lockdiscovery(r);
      if (Object.keys(value).length) locks.set(r.path, value);
    }
  }
  const g: Gather = { c, quota, locks, memo: new Map() };
  const selfHref = c.baseUrl.origin + hrefOf(c.baseUrl.pathname, self.path, self.path === '' || self.stat.type === 'dir');
  // An entry's href is its folder's and its encoded name (hrefOf of the one name under the folder's).
  const hrefIn = selfHref.replace(/\/?$/, '/');
  const hrefOfEntry = (e: DirEntry) => hrefOf(hrefIn, e.name, e.type === 'dir');

  // Every name asked for is in the first answer, found or missing: after it, only dead properties and locks can
  // bring a namespace not met yet.
  const meet = namespaceCollector(c.prefixes);
  meet(answerOf(self, selfHref, g));
  for (const e of entries) {
    const path = pathOf(e);
    if (locks.has(path) || !isEmpty(c.dead(path))) meet(answerOf({ path, stat: e }, hrefOfEntry(e), g));
  }
  const scope = Object.entries(meet.prefixes);

  let head = `<?xml version="1.0" encoding="UTF-8"?><multistatus xmlns="DAV:"`;
  for (const [prefix, uri] of scope) head += ` xmlns:${prefix}="${escapeAttr(uri)}"`;
  const out = new Bytes();
  out.add(`${head}>${responseXml(answerOf(self, selfHref, g), scope)}`);
  // A name missing from one entry is most often missing from all of them.
  const missingXml = new Map<string, string>();
  for (const e of entries) out.add(responseXml(answerOf({ path: pathOf(e), stat: e }, hrefOfEntry(e), g), scope, missingXml));
  out.add('</multistatus>');
  return out.done();
}

/**
 * UTF-8 written into pool chunks (core/fs/chunk-pool.ts), one after another; a piece too big to share a chunk (a huge
 * dead property) gets a buffer of its own. Whoever sends the parts gives the chunks back (chunk-pool.ts's rule).
 */
class Bytes {
  readonly #parts: Buffer[] = [];
  #cur: Buffer | null = null;
  #used = 0;
  add(s: string): void {
    const most = s.length * 3; // a UTF-16 unit is at most 3 bytes of UTF-8
    if (most > POOL_CHUNK / 4) {
      this.#close();
      this.#parts.push(Buffer.from(s, 'utf8'));
      return;
    }
    if (!this.#cur || this.#used + most > this.#cur.length) {
      this.#close();
      this.#cur = takeChunk();
    }
    this.#used += this.#cur.write(s, this.#used, 'utf8');
  }
  done(): MultistatusBytes {
    this.#close();
    return { parts: this.#parts, length: this.#parts.reduce((n, p) => n + p.length, 0) };
  }
  #close(): void {
    if (this.#cur) this.#parts.push(this.#cur.subarray(0, this.#used));
    this.#cur = null;
    this.#used = 0;
  }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** One <response>: the href, a 200 propstat for what was found, a 404 one for what was not. */
function responseXml(a: Answer, scope: [string, string][], missingXml = new Map<string, string>()): string {
  let xml = `<response><href>${escapeText(a.href)}</href>`;
  if (a.found.length) {
    xml += `<propstat><status>HTTP/1.1 200 ${HTTPStatusMessages[200]}</status><prop>`;
    for (const f of a.found) xml += typeof f === 'string' ? f : propXml(f[0], f[1], scope);
    xml += '</prop></propstat>';
  }
  if (a.missing.length) {
    const shown = a.missing.map((name) => name.replace('%%', '')).join(', ');
    xml += `<propstat><status>HTTP/1.1 404 ${HTTPStatusMessages[404]}</status><responsedescription>${escapeText(
      `The ${shown} propert${a.missing.length === 1 ? 'y was' : 'ies were'} not found.`)}</responsedescription><prop>`;
    for (const name of new Set(a.missing)) {
      let rendered = missingXml.get(name);
      if (rendered === undefined) missingXml.set(name, (rendered = propXml(name, {}, scope)));
      xml += rendered;
    }
    xml += '</prop></propstat>';
  }
  // No property asked for: nephele's Status says the resource's own status.
  if (!a.found.length && !a.missing.length) xml += `<status>HTTP/1.1 207 ${HTTPStatusMessages[207]}</status>`;
  return `${xml}</response>`;
}

// ── Namespaces: the request's prefixes, then ns0, ns1, … for every other one the answer holds ─────────────────────

/** Elements nested deeper than this are not looked into for namespaces (as DavMethod.renderXml). */
const MAX_VISIT_DEPTH = 128;

/**
 * The prefixes the answer declares on its root, in DavMethod.renderXml's order: the request's, then one for each
 * other namespace met in document order, as the answers are met. Live properties are in DAV: only (and written
 * already): only names, dead values and locks count.
 */
function namespaceCollector(request: Record<string, string>): ((a: Answer) => void) & { prefixes: Record<string, string> } {
  const prefixes = { ...request };
  const known = new Set(Object.values(prefixes));
  let n = 0;
  const name = (key: string) => {
    const sep = key.indexOf('%%');
    if (sep <= 0) return;
    const uri = key.slice(0, sep);
    if (known.has(uri)) return;
    while (`ns${n}` in prefixes) n++;
    prefixes[`ns${n}`] = uri;
    known.add(uri);
  };
  const visit = (node: unknown, depth: number): void => {
    if (depth > MAX_VISIT_DEPTH || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) { for (const x of node) visit(x, depth + 1); return; }
    for (const [key, value] of Object.entries(node)) {
      if (key === '$') continue;
      name(key);
      visit(value, depth + 1);
    }
  };
  const meet = (a: Answer) => {
    for (const f of a.found) {
      if (typeof f === 'string') continue;
      name(f[0]);
      visit(f[1], 1);
    }
    for (const m of a.missing) name(m);
  };
  return Object.assign(meet, { prefixes });
}

// ── A property value as XML: nephele's Method.renderXml rewrite, then xml2js's Builder, as strings ────────────────

/** xmlbuilder's text escape. */
function escapeText(s: string): string {
  return /[&<>\r]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;') : s;
}

/** xmlbuilder's attribute escape. */
function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
}

const textElement = (el: string, text: string) => (text === '' ? `<${el}/>` : `<${el}>${escapeText(text)}</${el}>`);

/** "uri%%local" split at its first "%%" (nephele's splitn(…, 2)). */
function splitKey(key: string): [string, string] {
  const i = key.indexOf('%%');
  return [key.slice(0, i), key.slice(i + 2)];
}

/** One property `name` (nephele's key) holding `value`, inside the root's prefixes. */
function propXml(name: string, value: unknown, scope: [string, string][]): string {
  const out: string[] = [];
  const { el, uri, xmlns } = elementName(name, value, scope);
  build(out, el, rewrite(value, Object.fromEntries(scope), uri, xmlns));
  return out.join('');
}

/** The element name nephele writes for key `name`: "prefix:local", or "local" with an xmlns to add. */
function elementName(name: string, value: unknown, scope: [string, string][]): { el: string; uri: string; xmlns: string | undefined } {
  if (!name.includes('%%')) return { el: name, uri: 'DAV:', xmlns: undefined };
  const [uri, local] = splitKey(name);
  let prefix = scope.find(([, u]) => u === uri)?.[0] ?? '';
  const first = Array.isArray(value) ? value[0] : value;
  if (isNode(first) && isNode(first.$)) {
    const attrs = first.$;
    const found = Object.keys(attrs).find((a) => a.startsWith('xmlns:') && attrs[a] === uri)?.slice(6) ?? '';
    if (found && (!Array.isArray(value) || value.every((v) => isNode(v) && isNode(v.$) && v.$[`xmlns:${found}`] === uri))) prefix = found;
  }
  return prefix ? { el: `${prefix}:${local}`, uri, xmlns: undefined } : { el: local, uri, xmlns: uri };
}

/** nephele's renderXml recursivelyRewrite, below the element it names: prefixes resolved, xmlns added where needed. */
function rewrite(input: unknown, scope: Record<string, string>, currentUri: string, addNamespace: string | undefined): unknown {
  if (Array.isArray(input)) return input.map((v) => rewrite(v, scope, currentUri, addNamespace));
  if (!isNode(input)) return addNamespace === undefined ? input : { $: { xmlns: addNamespace }, _: input };
  const attrs: XmlNode = addNamespace === undefined ? {} : { xmlns: addNamespace };
  const output: XmlNode = { $: attrs };
  const inScope = { ...scope };
  if (isNode(input.$)) {
    const given = input.$;
    for (const attr of Object.keys(given)) {
      if (attr.includes('%%') || (currentUri !== 'DAV:' && !attr.includes(':') && attr !== 'xmlns')) {
        const [uri, name] = attr.includes('%%') ? splitKey(attr) : ['DAV:', attr];
        if (currentUri === uri) { attrs[name] = given[attr]; continue; }
        const declared = Object.keys(given).find((a) => a.startsWith('xmlns:') && given[a] === uri);
        const prefix = declared ? declared.slice(6) : Object.entries(inScope).find(([, u]) => u === uri)?.[0];
        attrs[`${prefix ? `${prefix}:` : ''}${name}`] = given[attr];
      } else {
        if (attr.startsWith('xmlns:')) {
          if (inScope[attr.slice(6)] === given[attr]) continue;
          inScope[attr.slice(6)] = given[attr] as string;
        }
        attrs[attr] = given[attr];
      }
    }
  }
  const entries = Object.entries(inScope);
  for (const name of Object.keys(input)) {
    if (name === '$') continue;
    const { el, uri, xmlns } = elementName(name, input[name], entries);
    output[el] = rewrite(input[name], inScope, uri, xmlns);
  }
  return output;
}

/** xml2js's Builder writing key `el` holding `value` (pretty off): `$` attributes, `_` text, arrays repeat the element. */
function build(out: string[], el: string, value: unknown): void {
  if (Array.isArray(value)) {
    for (const entry of value) {
      if (typeof entry === 'string') out.push(textElement(el, entry));
      else element(out, el, entry);
    }
  } else if (typeof value === 'object' && value !== null) {
    element(out, el, value);
  } else {
    out.push(textElement(el, value == null ? '' : String(value)));
  }
}

/** One element of xml2js's Builder: empty ones (no children, or only empty text) close themselves. */
function element(out: string[], el: string, node: unknown): void {
  let open = `<${el}`;
  const inner: string[] = [];
  if (typeof node !== 'object' || node === null) {
    inner.push(escapeText(String(node ?? '')));
  } else {
    for (const [key, child] of Object.entries(node)) {
      if (key === '$') {
        if (typeof child === 'object' && child !== null) {
          for (const [attr, v] of Object.entries(child)) if (v != null) open += ` ${attr}="${escapeAttr(String(v))}"`;
        }
      } else if (key === '_') {
        inner.push(escapeText(String(child)));
      } else {
        build(inner, key, child);
      }
    }
  }
  const body = inner.join('');
  out.push(body === '' ? `${open}/>` : `${open}>${body}</${el}>`);
}
