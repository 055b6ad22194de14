// JSON codec for the WebSocket transport, shared by the server and the renderer: Uint8Array crosses as
// {"$bytes":"<base64>"}. No Node imports (the renderer uses it); btoa/atob exist in browsers and Node >= 16.

export interface WireBytes { $bytes: string }

function toBase64(bytes: Uint8Array): string {
  let s = '';
  // Chunked so large files do not overflow the argument limit of String.fromCharCode.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
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
