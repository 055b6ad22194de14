// A minimal client of the `serve` WebSocket for tests: connect (or learn why not), call, collect pushed events.
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import { decodeWireFrame, encodeWireFrame } from '../../core/api/wire-codec.ts';
import type { CallResult, EventEnvelope, MethodName } from '../../core/api/contract.ts';

export interface TestClient {
  ws: WebSocket;
  events: EventEnvelope[];
  call(method: string, ...args: unknown[]): Promise<CallResult<MethodName>>;
  /** Sends raw text and resolves with the next reply that is not an event. */
  raw(text: string | Buffer): Promise<{ id: unknown; result: CallResult<MethodName> }>;
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
      const waiting = new Map<unknown, (m: { id: unknown; result: CallResult<MethodName> }) => void>();
      const rawWaiters: ((m: { id: unknown; result: CallResult<MethodName> }) => void)[] = [];
      ws.on('message', (data, isBinary) => {
        const msg = decodeWireFrame(isBinary ? (data as Buffer) : data.toString()) as { event?: EventEnvelope; id?: unknown; result?: CallResult<MethodName> };
        if (msg.event) { events.push(msg.event); return; }
        const reply = msg as { id: unknown; result: CallResult<MethodName> };
        const w = waiting.get(reply.id);
        if (w) { waiting.delete(reply.id); w(reply); } else rawWaiters.shift()?.(reply);
      });
      resolve({
        ws, events,
        call(method, ...args) {
          const id = nextId++;
          ws.send(encodeWireFrame({ id, method, args }));
          return new Promise((res) => waiting.set(id, (m) => res(m.result)));
        },
        raw(text) {
          ws.send(text);
          return new Promise((res) => rawWaiters.push(res));
        },
        close() { ws.close(); },
      });
    });
  });
}

export function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}
