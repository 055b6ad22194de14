// Uploads and downloads of any size: small files in one call, big ones in chunks, so neither side ever holds more
// than a chunk or two in memory. A failed or cancelled transfer is aborted on the core, which leaves the old file.
import type { Client } from '../../lib/client.ts';
import { CHUNK_BYTES, UPLOAD_DEPTH } from './limits.ts';

export interface TransferControl {
  /** Bytes moved so far of this file. */
  onProgress?: (bytes: number) => void;
  /** Checked between chunks; when it returns true the transfer is aborted and Cancelled is thrown. */
  cancelled?: () => boolean;
}

export class Cancelled extends Error {
  constructor(name: string) { super(`${name}: cancelled; nothing was changed.`); this.name = 'Cancelled'; }
}

export async function uploadFile(client: Client, path: string, file: Blob & { name?: string }, c: TransferControl = {}): Promise<void> {
  if (file.size <= CHUNK_BYTES) {
    await client.call('files.write', path, new Uint8Array(await file.arrayBuffer()));
    c.onProgress?.(file.size);
    return;
  }
  const id = await client.call('files.uploadBegin', path);
  // Two chunks in flight (the core's UPLOAD_DEPTH): the next one travels while the drives write this one.
  const inFlight: Promise<unknown>[] = [];
  try {
    for (let off = 0; off < file.size; off += CHUNK_BYTES) {
      if (c.cancelled?.()) throw new Cancelled(file.name ?? path);
      const chunk = new Uint8Array(await file.slice(off, off + CHUNK_BYTES).arrayBuffer());
      const sent = client.call('files.uploadChunk', id, chunk).then(({ received }) => c.onProgress?.(received));
      sent.catch(() => {}); // seen when awaited below; not an unhandled rejection while the next chunk is read
      inFlight.push(sent);
      if (inFlight.length >= UPLOAD_DEPTH) await inFlight.shift();
    }
    await Promise.all(inFlight);
    await client.call('files.uploadCommit', id);
  } catch (e) {
    await Promise.allSettled(inFlight);
    await client.call('files.transferAbort', id).catch(() => {});
    throw e;
  }
}

/** The file as a Blob: chunks are folded into it as they come, so the browser can keep big ones out of the JS heap. */
export async function downloadFile(client: Client, path: string, size: number, c: TransferControl = {}): Promise<Blob> {
  if (size <= CHUNK_BYTES) {
    const bytes = await client.call('files.read', path);
    c.onProgress?.(bytes.byteLength);
    return new Blob([bytes as Uint8Array<ArrayBuffer>]);
  }
  const { id } = await client.call('files.downloadBegin', path);
  let blob = new Blob([]);
  try {
    for (;;) {
      if (c.cancelled?.()) throw new Cancelled(path.split('/').at(-1) ?? path);
      const chunk = await client.call('files.downloadChunk', id);
      if (chunk.byteLength === 0) return blob; // the core verified the checksum before saying "done"
      blob = new Blob([blob, chunk as Uint8Array<ArrayBuffer>]);
      c.onProgress?.(blob.size);
    }
  } catch (e) {
    await client.call('files.transferAbort', id).catch(() => {});
    throw e;
  }
}
