// The chunk size of big transfers, and with it the size up to which a file goes in one call. Equal to CHUNK_BYTES in
// the contract (limits.test.ts keeps them equal); copied because importing contract.ts would pull zod into the bundle.
export const CHUNK_BYTES = 8 * 1024 * 1024;
/** Upload chunks in flight at once; equal to UPLOAD_DEPTH in the contract (limits.test.ts checks). */
export const UPLOAD_DEPTH = 2;
