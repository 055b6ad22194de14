// The largest single upload, checked before reading a file into memory. Equal to MAX_WRITE_BYTES in the contract
// (limits.test.ts keeps them equal); copied because importing contract.ts would pull zod into the renderer bundle.
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
