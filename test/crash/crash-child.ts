// A workload that will be killed with SIGKILL: opens the mirror, runs random operations one at a time, and prints
// each submission ("s") and acknowledgement ("a") as a JSON line, so the parent knows what must survive.
// Some writes are big and streamed (as uploads are), so the streaming path is killed mid-way too.
//
// Rule: a line the kill can lose is one the parent must never need. process.stdout on a pipe is asynchronous (a
// write returns with the bytes still queued in this process), so each line is awaited until it is in the pipe before
// the step it reports on begins; and lines stay short (a write's content is sent as its length, the parent rebuilds
// it). Before this, a streamed write's 150 KB line filled the pipe, the acknowledgements queued behind it died with
// the child, and the parent took a write it never saw acknowledged for a lost one.
import { join } from 'node:path';
import { assembleMirror } from '../../core/index.ts';
import { contentOf } from './crash-content.ts';

const [dir, seedArg] = process.argv.slice(2);
let seed = Number(seedArg) >>> 0 || 1;
const rand = (n: number) => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed % n; };
async function* chunks(v: string): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(v);
  for (let off = 0; off < bytes.byteLength; off += 16384) yield bytes.subarray(off, off + 16384);
}
const paths = Array.from({ length: 24 }, (_, i) => `d${i % 4}/f${i}.txt`);

// A small behind budget so that the big writes below stream to every member in step (write-request.ts streamLegs).
const m = await assembleMirror({ maxBehindBytes: 64 * 1024, members: [
  { path: join(dir, 'A') }, { path: join(dir, 'B') },
  { path: join(dir, 'C'), writeMostly: true, throttle: { latencyMs: 3 } },
] });
const say = (msg: object) => new Promise<void>((r) => process.stdout.write(JSON.stringify(msg) + '\n', () => r()));
await say({ open: true });
for (let seq = 0; ; seq++) {
  const r = rand(10);
  const p = paths[rand(paths.length)]!;
  // One write in ten is big and streamed in 16 KiB chunks, like an upload: it must land whole or not at all.
  const op = r < 1 ? { k: 'write', p, pad: 100_000 + rand(100_000), stream: true }
    : r < 6 ? { k: 'write', p, pad: rand(3000) }
    : r < 8 ? { k: 'rename', p, to: paths[rand(paths.length)]! }
      : { k: 'remove', p };
  await say({ s: seq, op });
  try {
    const v = contentOf(seedArg!, seq, op.pad ?? 0, op.stream === true);
    if (op.k === 'write') await m.writeFile(op.p, op.stream ? chunks(v) : v);
    else if (op.k === 'rename') await m.rename(op.p, op.to!, { replace: true }); // replacing renames are crash-tested too
    else await m.remove(op.p);
    await say({ a: seq });
  } catch (e) {
    await say({ e: seq, code: (e as { code?: string }).code, msg: String((e as Error).message).slice(0, 300) });
  }
}
