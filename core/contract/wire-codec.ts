// JSON codec for the WebSocket transport, shared by the server and the renderer: Uint8Array crosses as
// {"$bytes":"<base64>"}. No Node imports (the renderer uses it): Node's Buffer is found on globalThis when present.

export interface WireBytes { $bytes: string }

/** What a runtime may offer natively: Node's Buffer, or the ES2026 Uint8Array base64 methods (Chromium 140+). */
type NativeBase64 = {
  Buffer?: { from(b: ArrayBufferLike, offset: number, length: number): { toString(enc: 'base64'): string }; from(s: string, enc: 'base64'): Uint8Array };
};
type U8WithBase64 = Uint8Array & { toBase64?: () => string };
const U8 = Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array };
const nodeBuffer = (globalThis as NativeBase64).Buffer;

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

// The native encoders are ~200x faster than a JavaScript loop on an 8 MiB chunk (2 ms vs 390 ms in Node), which
// otherwise capped a transfer at ~20 MB/s. The loop stays as the fallback for older browsers.
function toBase64(bytes: Uint8Array): string {
  if (nodeBuffer) return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const native = (bytes as U8WithBase64).toBase64;
  if (typeof native === 'function') return native.call(bytes);
  let s = '';
  // Chunked so large files do not overflow the argument limit of String.fromCharCode.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  if (b64.length % 4 !== 0 || !B64.test(b64)) throw new SyntaxError('not base64');
  if (nodeBuffer) { const b = nodeBuffer.from(b64, 'base64'); return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); }
  if (typeof U8.fromBase64 === 'function') return U8.fromBase64(b64);
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function isWireBytes(v: unknown): v is WireBytes {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as WireBytes).$bytes === 'string'
    && Object.keys(v).length === 1;
}

export function encodeWire(value: unknown): string {
  // Read the raw property from `this`: a Node Buffer's toJSON() has already run by the time `v` arrives.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Uint8Array ? { $bytes: toBase64(raw) } : v;
  });
}

/** Parses a message; a malformed $bytes value throws like malformed JSON does. */
export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => (isWireBytes(v) ? fromBase64(v.$bytes) : v));
}

// ---- binary frames ---------------------------------------------------------------------------------------------
// A message that carries bytes goes as one binary WebSocket frame instead of base64 in JSON: no +33 % size, no
// encoding pass, no 10 MB string per 8 MiB chunk. Layout: u32 little-endian length of a UTF-8 JSON header, the
// header (the message with each Uint8Array replaced by {"$bin":[offset,length]} into the payload), then the payload.

export interface WireBin { $bin: [number, number] }

const HEADER_LIMIT = 1 << 20;

function isWireBin(v: unknown): v is WireBin {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length !== 1) return false;
  const r = (v as WireBin).$bin;
  return Array.isArray(r) && r.length === 2 && r.every((n) => Number.isSafeInteger(n) && n >= 0);
}

/**
 * A string (text frame) when the message has no bytes, otherwise one binary frame, written into `alloc(size)` (every
 * byte of it is written: the server hands in reused memory, fs/slab-pool.ts).
 */
export function encodeWireFrame(value: unknown, alloc: (size: number) => Uint8Array = (n) => new Uint8Array(n)): string | Uint8Array {
  const parts: Uint8Array[] = [];
  let payload = 0;
  const header = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (!(raw instanceof Uint8Array)) return v;
    parts.push(raw);
    payload += raw.byteLength;
    return { $bin: [payload - raw.byteLength, raw.byteLength] };
  });
  if (parts.length === 0) return header;
  const head = new TextEncoder().encode(header);
  const out = alloc(4 + head.byteLength + payload);
  new DataView(out.buffer, out.byteOffset, 4).setUint32(0, head.byteLength, true);
  out.set(head, 4);
  let off = 4 + head.byteLength;
  for (const p of parts) { out.set(p, off); off += p.byteLength; }
  return out;
}

/** Decodes a text frame (JSON, $bytes as base64) or a binary frame; anything malformed throws. */
export function decodeWireFrame(data: string | Uint8Array): unknown {
  if (typeof data === 'string') return decodeWire(data);
  data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength); // a plain view, even of a Node Buffer
  if (data.byteLength < 4) throw new SyntaxError('binary frame too short');
  const headLen = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  if (headLen > HEADER_LIMIT || 4 + headLen > data.byteLength) throw new SyntaxError('binary frame header out of range');
  const payload = data.subarray(4 + headLen);
  const header = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(4, 4 + headLen));
  return JSON.parse(header, (_key, v: unknown) => {
    if (isWireBytes(v)) return fromBase64(v.$bytes);
    if (!isWireBin(v)) return v;
    const [start, length] = v.$bin;
    if (start + length > payload.byteLength) throw new SyntaxError('binary frame payload out of range');
    return payload.subarray(start, start + length);
  });
}
