/**
 * A few workers taking items from one queue (a resync's copies, a scrub's batches). The first error ends the pool:
 * `failed` is set as the error happens, before the failing worker's own cleanup runs, so no other worker starts an
 * item after it; once every worker has ended, that first error is thrown. Whoever awaits run() therefore knows no
 * item is still in flight when it returns or throws.
 */
export class WorkerPool {
  failed = false;

  /** An item's work: its error marks the pool failed at once, then goes on to the worker. */
  guard<T>(work: Promise<T>): Promise<T> {
    return work.catch((e: unknown) => { this.failed = true; throw e; });
  }

  async run(count: number, worker: () => Promise<void>): Promise<void> {
    const ended = await Promise.allSettled(Array.from({ length: count }, () => this.guard(worker())));
    const err = ended.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (err) throw err.reason;
  }
}
