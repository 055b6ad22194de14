// Two members, A on a FaultyFs over a real folder (so a test can hold or fail one of its calls) and B plain: the
// setup of the tests that force an overlap between an operation and a drive that fails or answers late.
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { createMirror, NodeFs, type EngineMemberSpec, type MirrorOptions } from '../../core/index.ts';
import { FaultyFs } from './fs/faulty-fs.ts';
import { RAM_DIR, tempDir } from './tmp.ts';

export async function faultyPair(t: TestContext, o: Partial<MirrorOptions> = {}) {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  const afs = new FaultyFs(new NodeFs());
  const m = await createMirror({ watchOutside: false, memberTimeoutMs: 0, ...o,
    members: [{ path: A, label: 'A', fs: afs } as EngineMemberSpec, { path: B, label: 'B' }] });
  t.after(() => m.stop().catch(() => {}));
  const id = (label: string) => m.status().members.find((x) => x.label === label)!.id;
  return { dir, A, B, afs, m, id };
}

/**
 * A fast member m0 and a write-mostly member m1 (a USB drive) on a FaultyFs, in RAM: the setup of the tests that hold
 * a copy on the slow drive while live operations go on (engine-copy-lines, engine-readd). `usbId`: m1's member id.
 */
export async function fastAndUsb(t: TestContext) {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const usb = new FaultyFs(new NodeFs());
  const specs: EngineMemberSpec[] = [
    { path: join(dir, 'm0'), label: 'm0' },
    { path: join(dir, 'm1'), label: 'm1', writeMostly: true, fs: usb },
  ];
  const m = await createMirror({ members: specs, maxBehindWrites: 256 });
  t.after(() => m.stop().catch(() => {}));
  return { dir, usb, specs, m, usbId: m.status().members[1]!.id };
}

/** Resolves once `ok()` holds, looking again after each turn of the event loop (a state, not a time, is awaited). */
export async function until(ok: () => boolean, ms = 60_000): Promise<void> {
  // A condition never met fails by name within a minute, instead of spinning a core until the run's timeout.
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`waited ${ms / 1000} s for: ${ok.toString()}`);
    await new Promise((r) => setImmediate(r));
  }
}
