// The typed client over a Bridge: `call(name, ...args)` resolves with the value or throws a CallError.
import type { Bridge } from '../../../core/contract/bridge.ts';
import type { ErrorData, MethodArgs, MethodName, MethodResults } from '../../../core/contract/contract.ts';

/** An error the core (or the transport) reported as data: a code, a message meant for people, and where. */
export class CallError extends Error {
  readonly code: string;
  readonly path?: string;
  readonly memberId?: string;
  readonly method: MethodName;
  constructor(method: MethodName, e: ErrorData) {
    super(e.message);
    this.name = 'CallError';
    this.code = e.code;
    this.path = e.path;
    this.memberId = e.memberId;
    this.method = method;
  }
}

export class Client {
  readonly bridge: Bridge;
  constructor(bridge: Bridge) { this.bridge = bridge; }

  async call<K extends MethodName>(name: K, ...args: MethodArgs<K>): Promise<MethodResults[K]> {
    const r = await this.bridge.call(name, ...args);
    if (!r.ok) throw new CallError(name, r.error);
    return r.value;
  }

  get canPickFolder(): boolean { return typeof this.bridge.pickFolder === 'function'; }

  pickFolder(): Promise<string | null> { return this.bridge.pickFolder?.() ?? Promise.resolve(null); }
}

/** A sentence for people from anything thrown. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
