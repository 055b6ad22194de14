// Where an acknowledged write's time goes: N small writes into a fresh 2-member mirror, for strace -c / --cpu-prof.
// Usage: strace -f -c -e trace=fsync,fdatasync,openat,rename,write,pwrite64,statx,newfstatat,mkdir node --import tsx test/bench/profile-writes.ts DIR [N]
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror } from '../../core/index.ts';
import { fileBytes } from './tree.ts';

const dir = process.argv[2] ?? '/tmp/nasm-profile';
const n = Number(process.argv[3] ?? 200);
await mkdir(join(dir, 'a'), { recursive: true });
await mkdir(join(dir, 'b'), { recursive: true });
const m = await createMirror({ members: [{ path: join(dir, 'a') }, { path: join(dir, 'b'), writeMostly: true }] });
await m.mkdir('w');
await m.writeFile('w/warm.bin', fileBytes({ size: 4096, seed: 1 }));
await m.drain();
const t0 = performance.now();
for (let i = 0; i < n; i++) await m.writeFile(`w/f-${i}.bin`, fileBytes({ size: 4096, seed: i }));
const ackMs = performance.now() - t0;
await m.drain();
console.log(JSON.stringify({ writes: n, ackMsPerWrite: ackMs / n }));
await m.stop();
