// Byte helpers shared by the engine and the transports.

/** One Uint8Array from several; no copy when there is only one. `size` is their total length. */
export function concatBytes(chunks: readonly Uint8Array[], size = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  // Every byte is written below, so the memory is not zeroed first (a wasted pass). A plain Uint8Array, not a Buffer:
  // JSON.stringify calls a Buffer's toJSON() (an array of numbers, one per byte) before the wire codec's replacer sees
  // it, which made each 8 MiB download chunk cost ~0.3 s.
  const b = Buffer.allocUnsafeSlow(size);
  const out = new Uint8Array(b.buffer, b.byteOffset, size);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.byteLength; }
  if (off < size) out.fill(0, off); // never a byte of some earlier use of the memory
  return out;
}
