// A string-to-string map kept as bytes, for the manifests (issue 16: a mirror of 1,000,000 files opened in 2 s with
// at most 300 MB more memory). A Map of JavaScript strings cost ~370 bytes per entry once opened (each key and value
// a string object over the file's text, the text itself, the Map's table) and ~2 us per line to parse; a mirror holds
// one manifest per member, so 1,000,000 files came to ~4.6 s and ~780 MB.
//
// Here the log file's bytes are the store: an entry is where its key and its value sit in them (16 bytes in typed
// arrays) and a slot in an open-addressing table of FNV-1a hashes; parsing is a scan of the bytes, with no string
// made per line. What is set later goes into 1 MiB chunks after them (a value no longer than the one it replaces is
// written over it). Deletions leave the entry dead; the store is rebuilt, bytes and all, once dead entries or
// replaced bytes outweigh the live ones. Lookups stay one hash probe; reading a value makes its string then.
//
// The semantics are a Map's (RecordLog's `map`): insertion order, a set of an existing key keeps its place.
// Keys are told apart by their UTF-8 bytes: two strings that encode alike (lone surrogates, both U+FFFD) are one key,
// as they are one name on a drive; normalizePath (core/mirror/paths.ts) refuses such names.
// Rule: iterators must not be held across a set or delete (they walk the entry arrays, which a rebuild renumbers);
// copy first (`[...store.keys()]`), as Manifest does.

const DEAD = 0xffff;
const MAX_LEN = 0xfffe;

export interface RecordStore {
  readonly size: number;
  get(key: string): string | undefined;
  has(key: string): boolean;
  set(key: string, value: string): unknown;
  delete(key: string): boolean;
  keys(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

/** FNV-1a over bytes. */
function fnv(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** Sizes, made small by tests so that chunk edges and rebuilds are crossed often. */
export interface CompactOptions { chunk?: number; rebuildDead?: number; rebuildGarbage?: number }

export class CompactStore implements RecordStore {
  readonly #chunk: number;
  readonly #rebuildDead: number;
  readonly #rebuildGarbage: number;
  /** The log file's bytes (offsets below its length), then the chunks. */
  #base: Buffer = Buffer.alloc(0);
  #chunks: Buffer[] = [];
  #room = 0; // free bytes at the end of the last chunk
  #keyOff = new Uint32Array(1024);
  #valOff = new Uint32Array(1024);
  #keyLen = new Uint16Array(1024); // DEAD: deleted
  #valLen = new Uint16Array(1024);
  #hash = new Uint32Array(1024);
  #count = 0; // entries, dead ones too
  #live = 0;
  #table = new Int32Array(2048); // entry index + 1; 0 empty
  /** Bytes no live entry uses: replaced values, deleted entries. */
  #garbage = 0;
  #scratch = Buffer.allocUnsafe(4096);
  /** A byte per entry while a walk ticks off the keys it meets (startMarks), else null; kept through a rebuild. */
  #marks: Uint8Array | null = null;

  constructor(o: CompactOptions = {}) {
    this.#chunk = o.chunk ?? 1 << 20; // two largest records (MAX_LEN each) fit
    this.#rebuildDead = o.rebuildDead ?? 4096;
    this.#rebuildGarbage = o.rebuildGarbage ?? this.#chunk;
  }

  get size(): number { return this.#live; }

  // ---- bytes --------------------------------------------------------------------------------------------------

  #buf(off: number): Buffer {
    return off < this.#base.length ? this.#base : this.#chunks[(off - this.#base.length) / this.#chunk | 0]!;
  }
  #at(off: number): number {
    return off < this.#base.length ? off : (off - this.#base.length) % this.#chunk;
  }
  /** Room for `len` bytes after everything: their offset and the buffer that holds them. */
  #append(len: number): number {
    if (len > this.#chunk) throw new Error(`a record of ${len} bytes in chunks of ${this.#chunk}`);
    if (len > this.#room) {
      this.#chunks.push(Buffer.allocUnsafe(this.#chunk));
      this.#room = this.#chunk;
    }
    const off = this.#base.length + this.#chunks.length * this.#chunk - this.#room;
    this.#room -= len;
    if (off + len > 0xffffffff) throw new Error('manifest store past 4 GiB');
    return off;
  }
  #string(off: number, len: number): string {
    const b = this.#buf(off) as Buffer & { utf8Slice(from: number, to: number): string }, at = this.#at(off);
    return b.utf8Slice(at, at + len); // Buffer.toString's own checks cost twice the decoding
  }
  /** `key` as UTF-8 in the scratch buffer: its byte length. */
  #encode(key: string): number {
    if (key.length * 3 > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(key.length * 3);
    return this.#scratch.write(key, 0, 'utf8');
  }

  // ---- the table ----------------------------------------------------------------------------------------------

  /** The live entry whose key is bytes [from, to) of `b`, or -1. */
  #find(b: Uint8Array, from: number, to: number, h: number): number {
    const mask = this.#table.length - 1, len = to - from;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.#table[s]! - 1;
      if (e < 0) return -1;
      if (this.#hash[e] !== h || this.#keyLen[e] !== len) continue;
      const kb = this.#buf(this.#keyOff[e]!), ka = this.#at(this.#keyOff[e]!);
      let i = 0;
      while (i < len && kb[ka + i] === b[from + i]) i++;
      if (i === len) return e;
    }
  }
  /**
   * The live entry of `key`, or -1. A key of ASCII characters (nearly every path) is its own UTF-8: its character
   * codes go into the scratch buffer as they are hashed, with no encoder call; another is encoded first.
   */
  #findKey(key: string): number {
    const n = key.length;
    if (n > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(n * 3);
    const b = this.#scratch;
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) { const len = this.#encode(key); return this.#find(this.#scratch, 0, len, fnv(this.#scratch, 0, len)); }
      b[i] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    return this.#find(b, 0, n, h >>> 0);
  }
  #slotFor(h: number): number {
    const mask = this.#table.length - 1;
    let s = h & mask;
    while (this.#table[s] !== 0) s = (s + 1) & mask;
    return s;
  }
  #grow(): void {
    if (this.#count === this.#keyOff.length) {
      const n = Math.ceil(this.#keyOff.length * 1.5); // 16 bytes an entry: half again, not twice, at a million
      const grow = <T extends Uint32Array | Uint16Array>(a: T, make: (n: number) => T): T => { const b = make(n); b.set(a); return b; };
      this.#keyOff = grow(this.#keyOff, (k) => new Uint32Array(k));
      this.#valOff = grow(this.#valOff, (k) => new Uint32Array(k));
      this.#keyLen = grow(this.#keyLen, (k) => new Uint16Array(k));
      this.#valLen = grow(this.#valLen, (k) => new Uint16Array(k));
      this.#hash = grow(this.#hash, (k) => new Uint32Array(k));
      if (this.#marks) { const marks = new Uint8Array(n); marks.set(this.#marks); this.#marks = marks; }
    }
    if ((this.#count + 1) * 4 > this.#table.length * 3) this.#rehash(this.#table.length * 2); // at most 3/4 full
  }
  #rehash(size: number): void {
    this.#table = new Int32Array(size);
    for (let e = 0; e < this.#count; e++) if (this.#keyLen[e] !== DEAD) this.#table[this.#slotFor(this.#hash[e]!)] = e + 1;
  }
  #add(h: number, keyOff: number, keyLen: number, valOff: number, valLen: number): void {
    this.#grow();
    const e = this.#count++;
    this.#keyOff[e] = keyOff; this.#keyLen[e] = keyLen; this.#valOff[e] = valOff; this.#valLen[e] = valLen; this.#hash[e] = h;
    this.#table[this.#slotFor(h)] = e + 1;
    this.#live++;
  }
  #kill(e: number): void {
    this.#garbage += this.#keyLen[e]! + this.#valLen[e]!;
    this.#keyLen[e] = DEAD;
    this.#live--;
  }

  // ---- Map ----------------------------------------------------------------------------------------------------

  get(key: string): string | undefined {
    const e = this.#findKey(key);
    return e < 0 ? undefined : this.#string(this.#valOff[e]!, this.#valLen[e]!);
  }

  has(key: string): boolean { return this.#findKey(key) >= 0; }

  set(key: string, value: string): this {
    const vLen = Buffer.byteLength(value);
    if (vLen > MAX_LEN) throw new Error(`manifest value of ${vLen} bytes`);
    const kLen = this.#encode(key);
    if (kLen > MAX_LEN) throw new Error(`manifest key of ${kLen} bytes`);
    const h = fnv(this.#scratch, 0, kLen);
    const e = this.#find(this.#scratch, 0, kLen, h);
    if (e >= 0) {
      const old = this.#valLen[e]!;
      const off = vLen <= old ? this.#valOff[e]! : this.#append(vLen);
      this.#buf(off).write(value, this.#at(off), 'utf8');
      this.#valOff[e] = off;
      this.#valLen[e] = vLen;
      this.#garbage += vLen <= old ? old - vLen : old;
      this.#maybeRebuild();
      return this;
    }
    const off = this.#append(kLen + vLen);
    const b = this.#buf(off), at = this.#at(off);
    this.#scratch.copy(b, at, 0, kLen); // the key's bytes, then the value's
    b.write(value, at + kLen, 'utf8');
    this.#add(h, off, kLen, off + kLen, vLen);
    return this;
  }

  delete(key: string): boolean {
    const e = this.#findKey(key);
    if (e < 0) return false;
    this.#kill(e);
    this.#maybeRebuild();
    return true;
  }

  clear(): void {
    this.#base = Buffer.alloc(0);
    this.#chunks = [];
    this.#room = 0;
    this.#count = this.#live = this.#garbage = 0;
    this.#table = new Int32Array(2048);
    this.#marks = null;
  }

  *keys(): IterableIterator<string> {
    for (let e = 0; e < this.#count; e++) if (this.#keyLen[e] !== DEAD) yield this.#string(this.#keyOff[e]!, this.#keyLen[e]!);
  }

  *entries(): IterableIterator<[string, string]> {
    for (let e = 0; e < this.#count; e++) {
      if (this.#keyLen[e] !== DEAD) yield [this.#string(this.#keyOff[e]!, this.#keyLen[e]!), this.#string(this.#valOff[e]!, this.#valLen[e]!)];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries(); }

  // ---- marks --------------------------------------------------------------------------------------------------
  // A walk of a drive ticks off the recorded paths it meets, then asks which it did not meet (outside.ts): a byte per
  // entry, where a set of the paths met held the heap at 420 MB for two drives of 1,000,000 files (62 MB so). A mark
  // stays with its key through a set and a rebuild; a key deleted and set again is a new entry, unmarked. One walk at
  // a time: startMarks() starts over.

  startMarks(): void { this.#marks = new Uint8Array(this.#keyOff.length); }
  endMarks(): void { this.#marks = null; }

  /** get(), ticking the key off when it is there. */
  getMarking(key: string): string | undefined {
    const e = this.#findKey(key);
    if (e < 0) return undefined;
    if (this.#marks) this.#marks[e] = 1;
    return this.#string(this.#valOff[e]!, this.#valLen[e]!);
  }

  isMarked(key: string): boolean {
    const e = this.#findKey(key);
    return e >= 0 && this.#marks !== null && this.#marks[e] === 1;
  }

  /** The live keys not ticked off since startMarks() (every key when no walk is marking). */
  *unmarkedKeys(): IterableIterator<string> {
    const marks = this.#marks;
    for (let e = 0; e < this.#count; e++) {
      if (this.#keyLen[e] !== DEAD && (marks === null || marks[e] !== 1)) yield this.#string(this.#keyOff[e]!, this.#keyLen[e]!);
    }
  }

  /** Once what is dead outweighs what is live, the live entries are copied into fresh chunks and the rest let go. */
  #maybeRebuild(): void {
    const dead = this.#count - this.#live;
    if (dead < this.#rebuildDead && this.#garbage < this.#rebuildGarbage) return;
    const liveBytes = this.#base.length + this.#chunks.length * this.#chunk - this.#room - this.#garbage;
    if (dead <= this.#live && this.#garbage <= liveBytes) return;
    const old = { base: this.#base, chunks: this.#chunks, keyOff: this.#keyOff, valOff: this.#valOff, keyLen: this.#keyLen, valLen: this.#valLen, hash: this.#hash, count: this.#count, marks: this.#marks };
    const chunk = this.#chunk;
    const buf = (off: number) => (off < old.base.length ? old.base : old.chunks[(off - old.base.length) / chunk | 0]!);
    const at = (off: number) => (off < old.base.length ? off : (off - old.base.length) % chunk);
    const n = Math.max(1024, 2 ** Math.ceil(Math.log2(this.#live + 1)));
    this.#base = Buffer.alloc(0);
    this.#chunks = [];
    this.#room = 0;
    this.#keyOff = new Uint32Array(n); this.#valOff = new Uint32Array(n); this.#keyLen = new Uint16Array(n); this.#valLen = new Uint16Array(n); this.#hash = new Uint32Array(n);
    this.#marks = old.marks ? new Uint8Array(n) : null;
    this.#count = this.#live = this.#garbage = 0;
    this.#table = new Int32Array(n * 2);
    for (let e = 0; e < old.count; e++) {
      const kLen = old.keyLen[e]!;
      if (kLen === DEAD) continue;
      const vLen = old.valLen[e]!;
      const off = this.#append(kLen + vLen);
      const b = this.#buf(off), a = this.#at(off);
      buf(old.keyOff[e]!).copy(b, a, at(old.keyOff[e]!), at(old.keyOff[e]!) + kLen);
      buf(old.valOff[e]!).copy(b, a + kLen, at(old.valOff[e]!), at(old.valOff[e]!) + vLen);
      this.#add(old.hash[e]!, off, kLen, off + kLen, vLen);
      if (old.marks) this.#marks![this.#count - 1] = old.marks[e]!; // the mark goes with its key
    }
  }

  // ---- loading ------------------------------------------------------------------------------------------------

  /**
   * Replays RecordLog lines (`+"key"\tvalue` sets, `-"key"` deletes; keys JSON strings) from bytes [0, end) of
   * `bytes`, which the store keeps as its own (nobody may write them after). Answers how many lines were taken, as
   * RecordLog.open counts them: a line it cannot read is skipped, as a torn one.
   */
  load(bytes: Buffer, end: number): number {
    this.clear();
    this.#base = bytes;
    // Room for the entries at once, one per line (counted: ~15 ms for a million lines, and a sample misjudged a log
    // that starts with short folder lines by 7x, which cost 60 MB of table): no copies while the file is read.
    let newlines = 0;
    for (let at = bytes.indexOf(10); at >= 0 && at < end; at = bytes.indexOf(10, at + 1)) newlines++;
    const guess = Math.max(1024, newlines);
    this.#keyOff = new Uint32Array(guess); this.#valOff = new Uint32Array(guess); this.#keyLen = new Uint16Array(guess); this.#valLen = new Uint16Array(guess); this.#hash = new Uint32Array(guess);
    this.#table = new Int32Array(2 ** Math.ceil(Math.log2(guess * 4 / 3)));
    let lines = 0;
    for (let at = 0; at < end;) {
      const from = at, op = bytes[from];
      // The key, a JSON string, hashed as it is scanned; it ends at its closing quote, which a '+' line follows with
      // a tab. A key with an escape (a backslash) is parsed instead: rare, file names seldom hold \ or ".
      let h = 0x811c9dc5, i = from + 2;
      if ((op === 0x2b || op === 0x2d) && bytes[from + 1] === 0x22) {
        for (; i < end; i++) {
          const c = bytes[i]!;
          if (c === 0x22 || c === 0x5c || c === 10) break;
          h = Math.imul(h ^ c, 0x01000193);
        }
      }
      let nl = bytes.indexOf(10, i);
      if (nl < 0 || nl > end) nl = end;
      at = nl + 1;
      if (nl - from < 3) continue;
      lines++;
      if ((op !== 0x2b && op !== 0x2d) || bytes[from + 1] !== 0x22) continue;
      let kb: Uint8Array = bytes, kFrom = from + 2, kTo = i, keyEnd = i + 1; // keyEnd: after the closing quote
      if (bytes[i] !== 0x22 || (op === 0x2b ? bytes[keyEnd] !== 9 : keyEnd !== nl)) {
        // An escape in the key, or a line not as encode() writes it: the key is what JSON makes of it.
        keyEnd = op === 0x2b ? bytes.lastIndexOf(9, nl) : nl;
        if (keyEnd - from < 3 || bytes[keyEnd - 1] !== 0x22) continue;
        let key: unknown;
        try { key = JSON.parse(bytes.toString('utf8', from + 1, keyEnd)); } catch { continue; }
        if (typeof key !== 'string') continue;
        kb = this.#scratch; kFrom = 0; kTo = this.#encode(key);
        h = fnv(kb, kFrom, kTo);
      } else {
        h >>>= 0;
      }
      const kLen = kTo - kFrom, vLen = nl - keyEnd - 1;
      if (kLen > MAX_LEN || vLen > MAX_LEN) continue;
      const e = this.#find(kb, kFrom, kTo, h);
      if (op === 0x2d) {
        if (e >= 0) this.#kill(e);
      } else if (e >= 0) {
        this.#garbage += this.#valLen[e]!; // the entry keeps its place and its first key's bytes
        this.#valOff[e] = keyEnd + 1;
        this.#valLen[e] = vLen;
      } else {
        let keyOff = kFrom;
        if (kb !== bytes) { // a parsed key: its bytes after everything
          keyOff = this.#append(kLen);
          this.#scratch.copy(this.#buf(keyOff), this.#at(keyOff), 0, kLen);
        }
        this.#add(h, keyOff, kLen, keyEnd + 1, vLen);
      }
    }
    return lines;
  }
}
