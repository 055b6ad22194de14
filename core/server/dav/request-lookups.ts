// The mirror as one WebDAV request sees it: each path is looked up once until the request changes something.
//
// nephele asks about the same path many times in one request (a new file's PUT: does it exist, is it a folder, the
// conditional headers, the parent, then our own check before writing: six `stat`s of which five are the same path).
// Each was a full engine lookup (a link check and an lstat per member, an error built for a missing file), and on a
// burst of small uploads they cost more than the writes. Rule: within one request, a path's lookup (found or not) is
// asked of the engine once; any call that may change the mirror forgets every lookup, before it starts and once it
// ends, so what a request reads after its own change is the engine's answer. Requests never share lookups: the
// view is made per request (dav-route.ts), so a change by another client is seen by the next request.
import type { Mirror } from '../../index.ts';

/** Calls that only read: they keep the lookups. Everything else may change the mirror and forgets them. */
const READS = new Set<PropertyKey>([
  'stat', 'readdir', 'openReader', 'readFile', 'status', 'checkName', 'stagingDir', 'onEvent', 'findings', 'conflicts', 'listDeleted',
]);

export function requestLookups(mirror: Mirror): Mirror {
  const seen = new Map<string, ReturnType<Mirror['stat']>>();
  const stat: Mirror['stat'] = (path) => {
    let p = seen.get(path);
    if (!p) {
      p = mirror.stat(path);
      p.catch(() => {}); // a cached refusal is handed to every asker; none of them may leave it unhandled
      seen.set(path, p);
    }
    return p;
  };
  return new Proxy(mirror, {
    get(target, key) {
      if (key === 'stat') return stat;
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      if (READS.has(key)) return v.bind(target);
      return (...args: unknown[]) => {
        seen.clear();
        const r: unknown = v.apply(target, args);
        if (r instanceof Promise) return r.finally(() => seen.clear());
        return r;
      };
    },
  });
}
