// How the share answers when something is refused or fails: engine errors as HTTP statuses with a body that says why,
// statuses nephele has no error class for, and the one error handler (plain text, never a stack trace).
import type { Request } from 'express';
import type { AuthResponse } from 'nephele';
import {
  BadRequestError, ForbiddenError, InsufficientStorageError, MethodNotSupportedError, ResourceExistsError,
  ResourceNotFoundError, ResourceNotModifiedError, ResourceTreeNotCompleteError, ServiceUnavailableError,
} from 'nephele';
import { MirrorError } from '../../index.ts';

/** A status nephele's error classes do not cover (413, 409 for UNLOCK, 403 with a precondition element…). */
export class DavStatusError extends Error {
  readonly status: number;
  /** An XML body (RFC 4918 §16 precondition), sent instead of the plain-text message. */
  readonly xml?: string;
  readonly headers?: Record<string, string>;
  constructor(status: number, message: string, o: { xml?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.xml = o.xml;
    this.headers = o.headers;
  }
}

/** `<D:error>` holding one precondition or postcondition element (RFC 4918 §16). */
export function conditionXml(element: string, inner = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:${element}>${inner}</D:${element}></D:error>\n`;
}

/**
 * An engine error as the nephele error that gives its status. `reading`: a lookup, where a path the mirror cannot
 * hold simply does not exist (404); for a change, the same refusal is a 403 whose body says why.
 */
export function fromEngine(e: unknown, reading = false): unknown {
  if (!(e instanceof MirrorError)) return e;
  const m = e.message;
  switch (e.code) {
    case 'ENOTFOUND': return new ResourceNotFoundError(m);
    case 'EINVALIDPATH': return reading ? new ResourceNotFoundError(m) : new ForbiddenError(m);
    case 'ENOTDIR': return new ResourceTreeNotCompleteError(m);
    case 'EISDIR': return new MethodNotSupportedError(m);
    case 'EEXIST': return new ResourceExistsError(m);
    case 'ENOSPC': return new InsufficientStorageError(m);
    case 'ETOOBIG': return new DavStatusError(413, m);
    case 'EREADONLY': return new ForbiddenError(m);
    case 'EINVALIDOPTION': case 'EABORTED': return new BadRequestError(m);
    case 'ENOINSYNC': case 'ESTOPPED': case 'ENOMEMBER': case 'EBUSY': case 'ETIMEDOUT': case 'EUNMOUNT':
      return new ServiceUnavailableError(m);
    default: return new DavStatusError(500, m);
  }
}

/** Runs an engine call; its MirrorError comes out as the matching nephele error. */
export async function engine<T>(call: Promise<T>, reading = false): Promise<T> {
  try {
    return await call;
  } catch (e) {
    throw fromEngine(e, reading);
  }
}

export type ErrorHandler = (code: number, message: string, request: Request, response: AuthResponse, error?: Error) => Promise<void>;

/**
 * nephele's Options.errorHandler, replaced: the status, a plain-text body with the reason (or the XML condition), and
 * never a stack trace (nephele's default sends one unless NODE_ENV=production). An error with no known status is
 * logged and answered "Internal server error" without its details. Once a body has started, a failure can only cut
 * the connection: ending it cleanly would pass a truncated file off as whole.
 */
export function davErrorHandler(log: (m: string) => void): ErrorHandler {
  return async (code, message, request, response, error) => {
    let status = code;
    let text = message;
    if (error instanceof DavStatusError) status = error.status;
    if (status === 500 && !(error instanceof DavStatusError) && !(error instanceof MirrorError)) {
      // A client that went away mid-transfer is no server error: nothing was written, and nobody is left to tell.
      if (request.socket.destroyed || (error as { code?: string } | undefined)?.code === 'ECONNRESET') log(`WebDAV ${request.method} ${request.originalUrl}: the client disconnected; nothing was changed.`);
      else log(`WebDAV ${request.method} ${request.originalUrl}: ${error?.stack ?? message}`);
      text = 'Internal server error.';
    }
    if (response.headersSent || response.destroyed) {
      if (status >= 400) response.destroy();
      else response.end();
      return;
    }
    response.status(status);
    if (status < 400) {
      // 304 Not Modified and friends: not errors; they carry the validators.
      if (error instanceof ResourceNotModifiedError) {
        if (error.etag) response.set('ETag', JSON.stringify(error.etag));
        if (error.lastModified) response.set('Last-Modified', error.lastModified.toUTCString());
      }
      response.end();
      return;
    }
    if (error instanceof DavStatusError && error.headers) response.set(error.headers);
    if (status === 401) response.set('WWW-Authenticate', 'Basic realm="NAS Mirror", charset="UTF-8"');
    if (status === 503 && !response.get('Retry-After')) response.set('Retry-After', '5');
    const xml = error instanceof DavStatusError ? error.xml : undefined;
    const body = Buffer.from(xml ?? `${text || `Error ${status}`}\n`, 'utf8');
    response.set({ 'Content-Type': xml ? 'application/xml; charset=utf-8' : 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
    // A request whose body was refused unread (too large, or never looked at) cannot be followed on this connection.
    if (!request.complete) response.set('Connection', 'close');
    response.end(request.method === 'HEAD' ? undefined : body);
  };
}
