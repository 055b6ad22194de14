// A member's write speed: the bytes it really landed over the time it was busy landing them, in a window of recent work.

/** Too little to say: fewer writes, or less time busy, than this gives a rate that jumps by orders of magnitude. */
const MIN_WRITES = 3;
const MIN_BUSY_MS = 100;

/**
 * cf. iostat's per-interval throughput: the sum of bytes written over the union of the time writes were in flight
 * (overlapping writes count their time once), over the last `windowMs` of work. A per-write average would swing
 * from the fsync cost of a tiny file to the page-cache speed of a big one; an idle spell does not dilute it.
 */
export class WriteRate {
  #samples: { start: number; end: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 10_000, private readonly maxSamples = 256) {}

  /** One write that landed `bytes` and took `ms`, ending `now`. */
  record(bytes: number, ms: number, now = performance.now()): void {
    this.#samples.push({ start: now - Math.max(ms, 0), end: now, bytes });
    // The window ends at the newest write, not at the clock: after a pause the drive's last known speed still holds.
    const from = now - this.windowMs;
    while (this.#samples.length > this.maxSamples || this.#samples[0]!.end < from) this.#samples.shift();
  }

  /** Bytes per second, or 0 while too little was written to say. */
  get bytesPerSecond(): number {
    if (this.#samples.length < MIN_WRITES) return 0;
    const byStart = [...this.#samples].sort((a, b) => a.start - b.start);
    let bytes = 0, busy = 0, from = byStart[0]!.start, to = from;
    for (const s of byStart) {
      bytes += s.bytes;
      if (s.start > to) { busy += to - from; from = s.start; to = s.end; } else to = Math.max(to, s.end);
    }
    busy += to - from;
    return busy < MIN_BUSY_MS ? 0 : (bytes / busy) * 1000;
  }
}
