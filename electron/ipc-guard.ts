// Electron-free IPC checks (unit-tested without Electron): a message is served only when it comes from our own
// window's main frame showing our own index.html; then the one dispatch validates the method and arguments.
import type { CallResult, MethodName } from '../core/contract/contract.ts';
import type { Dispatch } from '../core/app/handlers.ts';

/** What main knows about who sent an IPC message, taken from the event as plain data. */
export interface SenderFacts {
  webContentsId: number;
  /** The sending frame's URL; null when the frame is gone (navigated away or destroyed). */
  frameUrl: string | null;
  isMainFrame: boolean;
}

export interface TrustedRenderer { webContentsId: number; indexUrl: string }

/** file:// URL without query and hash: the page may route with a hash but must still be our index.html. */
function pageOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'file:' ? `${u.protocol}//${u.host}${u.pathname}` : null;
  } catch {
    return null;
  }
}

export function isTrustedSender(f: SenderFacts, trusted: TrustedRenderer): boolean {
  if (f.webContentsId !== trusted.webContentsId || !f.isMainFrame || f.frameUrl === null) return false;
  const page = pageOf(f.frameUrl);
  return page !== null && page === pageOf(trusted.indexUrl);
}

export const FORBIDDEN = { code: 'EFORBIDDEN', message: 'This window is not allowed to talk to NAS Mirror.' } as const;

/** The whole `nas-mirror:call` handler, minus Electron: sender check, then dispatch (which validates and never throws). */
export async function guardedCall(dispatch: Dispatch, sender: SenderFacts, trusted: TrustedRenderer | null,
  name: unknown, args: unknown): Promise<CallResult<MethodName>> {
  if (trusted === null || !isTrustedSender(sender, trusted)) return { ok: false, error: { ...FORBIDDEN } };
  return dispatch(name, args);
}
