// The superblock: each member's identity and the mirror's state as it last knew it (cf. md's mdp_superblock_1).
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic, nullIfAbsent, type Filesystem } from '../fs/filesystem.ts';
import { META_DIR } from './meta-dir.ts';

const memberEntry = z.object({
  id: z.string(),
  label: z.string(),
  writeMostly: z.boolean(),
  state: z.enum(['in_sync', 'behind', 'resyncing', 'faulty', 'removed']),
  /** While resyncing: 'full' (being filled from scratch) or 'records' (catching up recorded paths only). */
  resync: z.enum(['full', 'records']).optional(),
  /** What its filesystem accepts, so names are checked against it while it is away (a USB drive on exFAT). */
  names: z.object({ caseInsensitive: z.boolean(), windowsNames: z.boolean(), maxFileSize: z.number().nonnegative() }).optional(),
});

export const superblockSchema = z.object({
  format: z.literal(1),
  mirrorId: z.string().min(1),
  mirrorLabel: z.string(),
  memberId: z.string().min(1),
  label: z.string(),
  writeMostly: z.boolean(),
  /** Bumped on every membership or health change and on clean↔active (cf. md events). */
  generation: z.number().int().nonnegative(),
  /** The generation at which intent records were last cleared with every member present (cf. events_cleared). */
  generationCleared: z.number().int().nonnegative(),
  clean: z.boolean(),
  members: z.array(memberEntry),
  maxBehindWrites: z.number().int().nonnegative(),
  maxBehindBytes: z.number().int().nonnegative(),
  updatedAt: z.string(),
  // -- recently deleted (issue 11, part 4) --
  /** Days deleted files stay recoverable: one setting, whichever host opens the mirror. */
  deletedRetentionDays: z.number().int().nonnegative().optional(),
  /** "Delete now" while members were away: what they delete when they are back (recently-deleted.ts). */
  trashPurged: z.object({ members: z.array(z.string()), ids: z.array(z.string()), before: z.number().optional() }).optional(),
});

export type Superblock = z.infer<typeof superblockSchema>;
export type SuperblockMember = z.infer<typeof memberEntry>;

export const superblockPath = (root: string) => join(root, META_DIR, 'superblock.json');
export const tmpDirOf = (root: string) => join(root, META_DIR, 'tmp');

/** Reads a folder's superblock: null when there is none; throws when it is there but unreadable. */
export async function readSuperblock(fs: Filesystem, root: string): Promise<Superblock | null> {
  const raw = await nullIfAbsent(fs.readFile(superblockPath(root)));
  if (raw === null) return null;
  const parsed = superblockSchema.safeParse(JSON.parse(Buffer.from(raw).toString('utf8')));
  if (!parsed.success) throw new Error(`The superblock at ${superblockPath(root)} is damaged: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Writes the superblock atomically: temp + fsync + rename + fsync folder. */
export async function writeSuperblock(fs: Filesystem, root: string, sb: Superblock): Promise<void> {
  await writeFileAtomic(fs, superblockPath(root), tmpDirOf(root), Buffer.from(JSON.stringify(sb, null, 1) + '\n'));
}
