// Writes files while the write-mostly member takes 60 s per file under slow/, watches the journal's clear ticks pass,
// reports, then waits to be killed: its behind writes never land.
import { join } from 'node:path';
import { NodeFs, assembleMirror, type AtomicWriter, type EngineMemberSpec } from '../../core/index.ts';
import type { MirrorImpl } from '../../core/engine/mirror.ts';

/** The journal's clear tick: short, so several pass at once; the test counts them, it does not time them. */
const CLEAR_TICK_MS = 50;
const TICKS = 3;

/** A real filesystem whose files under slow/ take 60 s to commit (other files and .nas-mirror are not slowed). */
class SlowDataFs extends NodeFs {
  override async createAtomic(target: string, tmpDir: string): Promise<AtomicWriter> {
    const w = await super.createAtomic(target, tmpDir);
    if (!target.includes('/slow/')) return w;
    return { ...w, commit: () => new Promise<void>((r) => setTimeout(r, 60_000)).then(() => w.commit()) };
  }
}

const [dir, count] = process.argv.slice(2);
const m = await assembleMirror({ intentClearMs: CLEAR_TICK_MS, members: [
  { path: join(dir!, 'A') },
  { path: join(dir!, 'C'), writeMostly: true, fs: new SlowDataFs() } as EngineMemberSpec,
] });
const intent = (m as unknown as MirrorImpl).intent;

// The control: a write that lands on both members is cleared by a tick, so the ticks counted below can clear.
await m.writeFile('quick.txt', 'landed on both');
let control = 0;
while (control === 0) control = await intent.ticked();

// Each write's record is made durable after the control's clear, so the journal on disk no longer holds quick.txt.
for (let i = 0; i < Number(count); i++) await m.writeFile(`slow/${i}.txt`, `content ${i}`);
const behind = m.status().members[1]!.behindWrites;
// Counted, not timed; a tick that cleared anything has already failed the test, so the report goes out at once.
const ticks: number[] = [];
for (let i = 0; i < TICKS && !ticks.some((n) => n > 0); i++) ticks.push(await intent.ticked());
const c = m.status().members[1]!;
process.stdout.write(JSON.stringify({
  acked: Number(count), behind, control, ticks, held: intent.heldPaths().sort(), after: { state: c.state, behind: c.behindWrites },
}) + '\n');
setInterval(() => {}, 1000); // stay alive until killed
