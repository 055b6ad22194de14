// Typed errors: a code, the path and member involved, and a message that says what the user can do.
import type { MirrorErrorCode } from './types.ts';
import type { ErrorData } from './contract.ts';

export class MirrorError extends Error {
  readonly code: MirrorErrorCode;
  readonly path?: string;
  readonly memberId?: string;
  constructor(code: MirrorErrorCode, message: string, where: { path?: string; memberId?: string; cause?: unknown } = {}) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'MirrorError';
    this.code = code;
    this.path = where.path;
    this.memberId = where.memberId;
  }
}

/** Turns anything thrown into data that can cross a transport. */
export function toErrorData(e: unknown): ErrorData {
  if (e instanceof MirrorError) return { code: e.code, message: e.message, path: e.path, memberId: e.memberId };
  if (e instanceof Error) return { code: (e as { code?: string }).code ?? 'EINTERNAL', message: e.message };
  return { code: 'EINTERNAL', message: String(e) };
}
