import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentlyDeleted, type DeletedHost } from './recently-deleted.ts';
import { deletedAtOf } from './trash.ts';

test('entries stamped in the same millisecond keep the order they were deleted in (oldest first stays oldest first)', () => {
  const d = new RecentlyDeleted({ members: [] } as unknown as DeletedHost, { retentionDays: 30, clock: () => 1_800_000_000_000 });
  try {
    const stamps = Array.from({ length: 50 }, () => d.stamp());
    const sorted = [...stamps].sort((a, b) => deletedAtOf(a.id) - deletedAtOf(b.id) || (a.id < b.id ? -1 : 1));
    assert.deepEqual(sorted.map((s) => s.id), stamps.map((s) => s.id), 'the purge order (makeRoom) is the deletion order');
    for (const s of stamps) assert.equal(deletedAtOf(s.id), s.deletedAt);
    assert.ok(stamps[0]!.deletedAt >= 1_800_000_000_000);
  } finally { d.close(); }
});
