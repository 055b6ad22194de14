// Byte helpers shared by the engine and the transports.

/** One Uint8Array from several; no copy when there is only one. `size` is their total length. */
export function concatBytes(chunks: readonly Uint8Array[], size = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = Buffer.allocUnsafeSlow(size); // every byte is written below: zeroing it first is a wasted pass
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.byteLength; }
  if (off < size) out.fill(0, off); // never a byte of some earlier use of the memory
  return out;
}
