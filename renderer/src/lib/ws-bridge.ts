// The Bridge over a WebSocket for `serve` mode: JSON requests {id, method, args}, responses {id, result}, pushed
// {event}; reconnects with backoff and reports connection changes so live state can refetch its snapshot.
import type { Bridge } from '../../../core/contract/bridge.ts';
import type { CallResult, EventEnvelope, MethodArgs, MethodName } from '../../../core/contract/contract.ts';
import { decodeWireFrame, encodeWireFrame } from '../../../core/contract/wire-codec.ts';

/** A bridge that can lose its connection; AppState listens to it to refetch after a reconnect. */
export interface LiveBridge extends Bridge {
  onConnection?(listener: (connected: boolean) => void): () => void;
}

interface Pending { resolve: (r: CallResult<MethodName>) => void }

export interface WsBridgeOptions {
  url: string;
  /** Delay before the n-th reconnect attempt. */
  backoffMs?: (attempt: number) => number;
  WebSocketImpl?: typeof WebSocket;
}

/** ws(s)://<host>/rpc of the page that loaded us, with the page's ?token= passed on. */
export function rpcUrlFromLocation(loc: Location): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(loc.search).get('token');
  const base = loc.pathname.replace(/[^/]*$/, '');
  return `${proto}//${loc.host}${base}rpc${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

export class WsBridge implements LiveBridge {
  #url: string;
  #backoff: (attempt: number) => number;
  #WS: typeof WebSocket;
  #ws: WebSocket | null = null;
  #open = false;
  #closed = false;
  #attempt = 0;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #queue: { id: number; frame: string | Uint8Array }[] = [];
  #sent = new Set<number>();
  #eventListeners = new Set<(e: EventEnvelope) => void>();
  #connListeners = new Set<(connected: boolean) => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(o: WsBridgeOptions) {
    this.#url = o.url;
    this.#backoff = o.backoffMs ?? ((n) => Math.min(5000, 250 * 2 ** n));
    this.#WS = o.WebSocketImpl ?? WebSocket;
    this.#connect();
  }

  get connected(): boolean { return this.#open; }

  call<K extends MethodName>(name: K, ...args: MethodArgs<K>): Promise<CallResult<K>> {
    const id = this.#nextId++;
    // Calls that carry bytes (uploads) go as binary frames: raw bytes, no base64.
    const frame = encodeWireFrame({ id, method: name, args });
    return new Promise((resolve) => {
      this.#pending.set(id, { resolve: resolve as Pending['resolve'] });
      if (this.#open && this.#ws) this.#send(this.#ws, id, frame);
      else this.#queue.push({ id, frame });
    });
  }

  onEvent(listener: (e: EventEnvelope) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  onConnection(listener: (connected: boolean) => void): () => void {
    this.#connListeners.add(listener);
    return () => this.#connListeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#ws?.close();
    this.#failPending('The connection to NAS Mirror was closed.');
  }

  #connect(): void {
    const ws = new this.#WS(this.#url);
    this.#ws = ws;
    ws.onopen = () => {
      this.#open = true;
      this.#attempt = 0;
      for (const q of this.#queue.splice(0)) this.#send(ws, q.id, q.frame);
      for (const l of this.#connListeners) l(true);
    };
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (m) => this.#receive(m.data instanceof ArrayBuffer ? new Uint8Array(m.data) : String(m.data));
    ws.onclose = () => {
      const wasOpen = this.#open;
      this.#open = false;
      this.#ws = null;
      // A request in flight when the socket dropped may or may not have run: report it rather than resend it.
      this.#failPending('The connection to NAS Mirror was lost; the action may not have completed.');
      if (wasOpen) for (const l of this.#connListeners) l(false);
      if (!this.#closed) this.#timer = setTimeout(() => this.#connect(), this.#backoff(this.#attempt++));
    };
  }

  #receive(frame: string | Uint8Array): void {
    let msg: unknown;
    try { msg = decodeWireFrame(frame); } catch { return; }
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { id?: number; result?: CallResult<MethodName>; event?: EventEnvelope };
    if (m.event) {
      for (const l of this.#eventListeners) l(m.event);
    } else if (typeof m.id === 'number' && m.result) {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      this.#sent.delete(m.id);
      p?.resolve(m.result);
    }
  }

  #send(ws: WebSocket, id: number, frame: string | Uint8Array): void {
    this.#sent.add(id);
    ws.send(frame as string | Uint8Array<ArrayBuffer>);
  }

  #failPending(message: string): void {
    // Queued-but-unsent requests stay queued for the next connection; only those already sent fail.
    for (const id of this.#sent) {
      const p = this.#pending.get(id);
      this.#pending.delete(id);
      p?.resolve({ ok: false, error: { code: 'EDISCONNECTED', message } });
    }
    this.#sent.clear();
  }
}
