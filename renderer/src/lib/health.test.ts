import { expect, test } from 'vitest';
import { mirrorHealth } from './health.ts';
import { mirror, ssd, usb } from '../testing/fake-bridge.ts';

test('never "Healthy" while a conflict or a scrub finding is open', () => {
  expect(mirrorHealth(mirror([ssd(), usb()])).headline).toBe('Healthy');
  const conflict = mirrorHealth(mirror([ssd(), usb()], { conflicts: 2 }));
  expect(conflict).toEqual({ tone: 'warn', headline: 'Needs attention', detail: '2 files changed directly on a drive wait for you to choose which version to keep (Conflicts).' });
  const finding = mirrorHealth(mirror([ssd(), usb()], { openFindings: 1 }));
  expect(finding.headline).toBe('Needs attention');
  expect(finding.detail).toBe('The last scrub found 1 problem not yet repaired (Scrub).');
  // A failed drive still says so first.
  expect(mirrorHealth(mirror([ssd(), usb({ state: 'faulty' })], { conflicts: 1 })).headline).toBe('Degraded');
});
