// A workload that will be killed with SIGKILL: opens the mirror, runs random operations one at a time, and prints
// each submission ("s") and acknowledgement ("a") as a JSON line, so the parent knows what must survive.
// Some writes are big and streamed (as uploads are), so the streaming path is killed mid-way too.
import { join } from 'node:path';
import { assembleMirror } from '../../core/index.ts';

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
process.stdout.write(JSON.stringify({ open: true }) + '\n');
for (let seq = 0; ; seq++) {
  const r = rand(10);
  const p = paths[rand(paths.length)]!;
  // One write in ten is big and streamed in 16 KiB chunks, like an upload: it must land whole or not at all.
  const op = r < 1 ? { k: 'write', p, v: `${seedArg}-${seq}-${'y'.repeat(100_000 + rand(100_000))}`, stream: true }
    : r < 6 ? { k: 'write', p, v: `${seedArg}-${seq}-${'x'.repeat(rand(3000))}` }
    : r < 8 ? { k: 'rename', p, to: paths[rand(paths.length)]! }
      : { k: 'remove', p };
  process.stdout.write(JSON.stringify({ s: seq, op }) + '\n');
  try {
    if (op.k === 'write') await m.writeFile(op.p, op.stream ? chunks(op.v!) : op.v!);
    else if (op.k === 'rename') await m.rename(op.p, op.to!, { replace: true }); // replacing renames are crash-tested too
    else await m.remove(op.p);
    process.stdout.write(JSON.stringify({ a: seq }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ e: seq, code: (e as { code?: string }).code, msg: String((e as Error).message).slice(0, 300) }) + '\n');
  }
}
