// Writes files while the write-mostly member takes 60 s per data file, then waits to be killed: its behind writes never land.
import { join } from 'node:path';
import { NodeFs, openMirror, type AtomicWriter } from '../../core/index.ts';

/** A real filesystem whose user files take 60 s to commit (metadata under .nas-mirror is not slowed). */
class SlowDataFs extends NodeFs {
  override async createAtomic(target: string, tmpDir: string): Promise<AtomicWriter> {
    const w = await super.createAtomic(target, tmpDir);
    if (target.includes('/.nas-mirror/')) return w;
    return { ...w, commit: () => new Promise<void>((r) => setTimeout(r, 60_000)).then(() => w.commit()) };
  }
}

const [dir, count] = process.argv.slice(2);
const m = await openMirror({ members: [{ path: join(dir!, 'A') }, { path: join(dir!, 'C'), writeMostly: true, fs: new SlowDataFs() } as never] });
for (let i = 0; i < Number(count); i++) await m.writeFile(`slow/${i}.txt`, `content ${i}`);
process.stdout.write(JSON.stringify({ acked: Number(count), behind: m.status().members[1]!.behindWrites }) + '\n');
setInterval(() => {}, 1000); // stay alive until killed
