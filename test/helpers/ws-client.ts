// A minimal client of the `serve` WebSocket for tests: connect (or learn why not), call, collect pushed events.
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import { decodeWireFrame, encodeWireFrame } from '../../core/contract/wire-codec.ts';
import { messageBytes } from '../../core/server/ws-big-messages.ts'; // whatever binaryType the caller chose
import type { CallResult, EventEnvelope, MethodName } from '../../core/contract/contract.ts';

type Reply = { id: unknown; result: CallResult<MethodName> };

/** A reply that has not come in this long is lost: the test fails naming the call instead of stalling to its own timeout. */
export const REPLY_TIMEOUT_MS = 30_000;

/** One reply being waited for; `what` names it in the error if it never comes. */
interface Waiter { what: string; reply(m: Reply): void; fail(e: Error): void }

export interface TestClient {
  ws: WebSocket;
  events: EventEnvelope[];
  call(method: string, ...args: unknown[]): Promise<CallResult<MethodName>>;
  /** Sends raw text and resolves with the next reply that is not an event. */
  raw(text: string | Buffer): Promise<Reply>;
  close(): void;
}

/** Resolves with the client, or rejects with the HTTP status the server refused the upgrade with. */
export function connect(url: string, options: ClientOptions = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('unexpected-response', (_req, res) => { reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode })); ws.terminate(); });
    ws.once('error', reject);
    ws.once('open', () => {
      let nextId = 1;
      const events: EventEnvelope[] = [];
      const waiting = new Map<unknown, Waiter>();
      const rawWaiters: Waiter[] = [];
      /** Waits for one reply; gives up after REPLY_TIMEOUT_MS (`drop` takes the waiter off its list) or when the socket closes. */
      const awaitReply = (what: string, enlist: (w: Waiter) => void, drop: (w: Waiter) => void) => new Promise<Reply>((res, rej) => {
        const timer = setTimeout(() => { drop(w); rej(new Error(`no reply to ${what} within ${REPLY_TIMEOUT_MS / 1000} s`)); }, REPLY_TIMEOUT_MS);
        const w: Waiter = {
          what,
          reply: (m) => { clearTimeout(timer); res(m); },
          fail: (e) => { clearTimeout(timer); rej(e); },
        };
        enlist(w);
      });
      ws.on('message', (data, isBinary) => {
        const msg = decodeWireFrame(isBinary ? messageBytes(data) : data.toString()) as { event?: EventEnvelope; id?: unknown; result?: CallResult<MethodName> };
        if (msg.event) { events.push(msg.event); return; }
        const reply = msg as Reply;
        const w = waiting.get(reply.id);
        if (w) { waiting.delete(reply.id); w.reply(reply); } else rawWaiters.shift()?.reply(reply);
      });
      // No reply comes over a closed socket: fail what still waits now rather than at the timeout.
      ws.on('close', (code) => {
        const lost = [...waiting.values(), ...rawWaiters.splice(0)];
        waiting.clear();
        for (const w of lost) w.fail(new Error(`the connection closed (${code}) before the reply to ${w.what}`));
      });
      resolve({
        ws, events,
        async call(method, ...args) {
          const id = nextId++;
          ws.send(encodeWireFrame({ id, method, args }));
          return (await awaitReply(method, (w) => waiting.set(id, w), () => waiting.delete(id))).result;
        },
        raw(text) {
          ws.send(text);
          const what = typeof text === 'string' ? `raw message ${JSON.stringify(text.slice(0, 60))}` : `raw ${text.byteLength}-byte binary message`;
          return awaitReply(what, (w) => rawWaiters.push(w), (w) => { const i = rawWaiters.indexOf(w); if (i >= 0) rawWaiters.splice(i, 1); });
        },
        close() { ws.close(); },
      });
    });
  });
}

export function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}
