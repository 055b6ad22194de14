// The WebSocket transport of the contract: `{id, method, args}` in, `{id, result}` out, `{event}` pushed.
// Every message is checked (size, JSON, shape, method, args) before anything runs; a bad one gets error data back,
// never a crash. Bytes cross raw in binary frames (or as {"$bytes": base64} in text) through the codec the renderer shares.
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { CallResult, ErrorData, EventEnvelope, MethodName } from '../contract/contract.ts';
import { MAX_WRITE_BYTES } from '../contract/contract.ts';
import type { Dispatch } from '../app/handlers.ts';
import { ownTransfers } from '../app/owned-transfers.ts';
import type { EventHub } from '../app/event-hub.ts';
import { decodeWireFrame, encodeWire, encodeWireFrame } from '../contract/wire-codec.ts';
import { giveSlab, slabFor } from '../fs/slab-pool.ts';
import { messageBytes, receiveBigIntoSlabs } from './ws-big-messages.ts';

/** The largest single files.write as base64 plus room for the envelope; ws closes bigger frames with 1009. */
export const MAX_MESSAGE_BYTES = Math.ceil(MAX_WRITE_BYTES / 3) * 4 + 64 * 1024;
/** A slow client whose queue grows past this misses events; the seq gap makes it refetch the snapshot. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const MAX_IN_FLIGHT = 32;
/**
 * Calls whose handler has copied the bytes it was given by the time it answers ok (transfers.ts, uploadChunk: the
 * engine has taken the chunk). Their message's memory is received into again (ws-big-messages.ts); any other call may
 * keep views of its bytes (a write held for a behind member), so its message is left to the garbage collector.
 */
const COPIED_WHEN_ANSWERED = new Set<string>(['files.uploadChunk']);
/** Calls whose result bytes were made for the transport alone (transfers.ts, gather): given back once encoded. */
const RESULT_FOR_TRANSPORT = new Set<string>(['files.downloadChunk']);
/** A frame's memory: a slab for a chunk-sized one (given back once sent), else new memory. */
const frameMemory = (n: number): Uint8Array => slabFor(n) ?? new Uint8Array(n);

const requestSchema = z.strictObject({
  id: z.union([z.number().int().nonnegative(), z.string().min(1).max(64)]),
  method: z.string().min(1).max(100),
  args: z.array(z.unknown()).max(16),
});

type RequestId = z.infer<typeof requestSchema>['id'] | null;

export function rpcError(code: string, message: string): { ok: false; error: ErrorData } {
  return { ok: false, error: { code, message } };
}

/** Parses one frame (JSON text, or binary: header + raw bytes) into a request, or says why it is not one. */
export function parseRequest(frame: string | Uint8Array):
  { ok: true; id: RequestId & {}; method: string; args: unknown[] } | { ok: false; id: RequestId; error: ErrorData } {
  const bad = (raw: unknown, message: string) => {
    // Answer under the caller's id when it can be read, so its pending call settles instead of hanging.
    const id = (raw as { id?: unknown } | null)?.id;
    return { ok: false as const, id: typeof id === 'number' || (typeof id === 'string' && id.length <= 64) ? id : null, error: rpcError('EBADMESSAGE', message).error };
  };
  let raw: unknown;
  try {
    raw = decodeWireFrame(frame);
  } catch {
    if (typeof frame !== 'string') return bad(null, 'The binary message is malformed (header length, UTF-8 or byte ranges).');
    let plain: unknown = null;
    try { plain = JSON.parse(frame); } catch { /* not JSON at all */ }
    return bad(plain, plain === null ? 'The message is not valid JSON.' : 'A {"$bytes"} value is not valid base64.');
  }
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) return bad(raw, 'A request is {"id": number|string, "method": string, "args": [...]}.');
  return { ok: true, ...parsed.data };
}

export function serveConnection(ws: WebSocket, dispatch: Dispatch, events: EventHub, log: (m: string) => void): void {
  let inFlight = 0;
  const send = (message: { id: RequestId; result: CallResult<MethodName> } | { event: EventEnvelope }) => {
    if (ws.readyState !== ws.OPEN) return;
    let frame: string | Uint8Array;
    try {
      frame = encodeWireFrame(message, frameMemory);
    } catch (e) {
      if (!('id' in message)) return;
      frame = encodeWire({ id: message.id, result: rpcError('EINTERNAL', `The result could not be sent: ${(e as Error).message}`) });
    }
    // Written out (ws calls back once the socket took it): its slab, if it is one, takes the next frame.
    ws.send(frame, typeof frame === 'string' ? undefined : (err) => { if (!err) giveSlab(frame); });
  };
  const unsubscribe = events.subscribe((event) => {
    if (ws.bufferedAmount < MAX_BUFFERED_BYTES) send({ event });
  });
  // Transfers belong to this connection: a closed tab cancels them at once (see owned-transfers.ts).
  const owned = ownTransfers(dispatch);
  ws.on('close', () => { unsubscribe(); owned.release(); });
  // ws reports oversized frames and protocol errors here before closing; without a listener they would crash us.
  ws.on('error', (e) => log(`WebSocket client error: ${e.message}`));
  receiveBigIntoSlabs(ws);
  ws.on('message', (data, isBinary) => {
    const bytes = messageBytes(data);
    const text = isBinary ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString();
    if (text !== null) giveSlab(bytes); // the text is a copy
    const request = parseRequest(text ?? bytes);
    if (!request.ok) { send({ id: request.id, result: { ok: false, error: request.error } }); return; }
    if (inFlight >= MAX_IN_FLIGHT) {
      send({ id: request.id, result: rpcError('EBUSY', `More than ${MAX_IN_FLIGHT} calls at once; wait for some to finish.`) });
      return;
    }
    inFlight++;
    void owned.dispatch(request.method, request.args).then((result) => {
      inFlight--;
      if (result.ok && text === null && COPIED_WHEN_ANSWERED.has(request.method)) giveSlab(bytes);
      send({ id: request.id, result });
      if (result.ok && RESULT_FOR_TRANSPORT.has(request.method) && result.value instanceof Uint8Array) giveSlab(result.value); // encoded: copied
    });
  });
}
