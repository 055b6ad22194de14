// A stand-in Bridge for component and state tests: scripted method results, recorded calls, events pushed by hand.
import type { AppEvent, AppSnapshot, CallResult, ErrorData, EventEnvelope, MethodArgs, MethodName, MethodResults } from '../../../core/contract/contract.ts';
import type { MemberStatus, MirrorStatus } from '../../../core/contract/types.ts';
import type { LiveBridge } from '../lib/ws-bridge.ts';

type Handler<K extends MethodName> = (...args: MethodArgs<K>) => MethodResults[K] | Promise<MethodResults[K]>;
export type FakeHandlers = { [K in MethodName]?: Handler<K> };

/** Thrown by a fake handler to come back as {ok:false, error}. */
export class FakeError extends Error {
  readonly data: ErrorData;
  constructor(data: ErrorData) { super(data.message); this.data = data; }
}

export class FakeBridge implements LiveBridge {
  readonly calls: { name: MethodName; args: unknown[] }[] = [];
  handlers: FakeHandlers;
  pickFolder?: () => Promise<string | null>;
  #events = new Set<(e: EventEnvelope) => void>();
  #conn = new Set<(up: boolean) => void>();

  /** Every AppState loads the event history at start: an empty one unless the test scripts it. */
  constructor(handlers: FakeHandlers = {}) { this.handlers = { 'history.list': () => [], ...handlers }; }

  async call<K extends MethodName>(name: K, ...args: MethodArgs<K>): Promise<CallResult<K>> {
    this.calls.push({ name, args });
    const h = this.handlers[name] as Handler<K> | undefined;
    if (!h) return { ok: false, error: { code: 'ENOTIMPL', message: `No fake for ${name}` } };
    try {
      return { ok: true, value: await h(...args) };
    } catch (e) {
      return { ok: false, error: e instanceof FakeError ? e.data : { code: 'EINTERNAL', message: String(e) } };
    }
  }

  callsOf(name: MethodName): unknown[][] { return this.calls.filter((c) => c.name === name).map((c) => c.args); }

  onEvent(listener: (e: EventEnvelope) => void): () => void {
    this.#events.add(listener);
    return () => this.#events.delete(listener);
  }

  onConnection(listener: (up: boolean) => void): () => void {
    this.#conn.add(listener);
    return () => this.#conn.delete(listener);
  }

  emit(seq: number, event: AppEvent): void { for (const l of this.#events) l({ seq, event }); }
  setConnected(up: boolean): void { for (const l of this.#conn) l(up); }
}

export function member(over: Partial<MemberStatus> & { id: string }): MemberStatus {
  return { label: over.id, path: `/mnt/${over.id}/NAS Mirror`, writeMostly: false, state: 'in_sync', behindWrites: 0,
    behindBytes: 0, oldestBehindMs: 0, ...over };
}

export function mirror(members: MemberStatus[], over: Partial<MirrorStatus> = {}): MirrorStatus {
  return { id: 'mir-1', label: 'Home', state: 'active', members, maxBehindWrites: 256, ...over };
}

export const ssd = () => member({ id: 'ssd', label: 'Internal SSD' });
export const usb = (over: Partial<MemberStatus> = {}) => member({ id: 'usb', label: 'USB Backup', writeMostly: true, ...over });

export function snapshot(over: Partial<AppSnapshot> = {}): AppSnapshot {
  return { seq: 10, mirror: mirror([ssd(), usb()]), drives: [], native: false, ...over };
}
