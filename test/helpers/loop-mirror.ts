// A mirror over two loop-mounted drives — a fast ext4 one and a "USB" one (exFAT or ext4) — stopped in teardown.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, type Mirror, type MemberSpec } from '../../core/index.ts';
import { loopLab, loopUnsupported, type LoopDrive, type LoopLab } from './loop.ts';

export interface LoopMirror { lab: LoopLab; fast: LoopDrive; usb: LoopDrive; A: string; B: string; m: Mirror; usbId: string }

/** null (and the test skipped with the reason) where loop devices are not available. */
export async function loopMirror(
  t: { after(fn: () => Promise<void> | void): void; skip(why: string): void },
  o: { usb?: 'exfat' | 'ext4'; usbFolder?: string; writeMostly?: boolean; throttle?: MemberSpec['throttle'] } = {},
): Promise<LoopMirror | null> {
  const why = await loopUnsupported({ exfat: o.usb === 'exfat' });
  if (why) { t.skip(why); return null; }
  const lab = await loopLab(t);
  const fast = await lab.mountExt4Image('fast');
  const usb = o.usb === 'exfat' ? await lab.mountExfatImage('My Passport') : await lab.mountExt4Image('usb');
  const A = join(fast.mountPoint, 'm');
  const B = join(usb.mountPoint, o.usbFolder ?? 'm');
  await mkdir(A);
  const m = await createMirror({ members: [{ path: A }, { path: B, writeMostly: o.writeMostly ?? true, label: 'USB', throttle: o.throttle }] });
  t.after(() => m.stop().catch(() => {}));
  return { lab, fast, usb, A, B, m, usbId: m.status().members.find((x) => x.label === 'USB')!.id };
}
