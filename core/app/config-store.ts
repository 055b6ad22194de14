// The app's saved config (known mirrors with their members, the active one, user settings): JSON in the config
// folder, replaced atomically, validated with zod on load. A bad file never stops the app: it is moved aside and
// reported, and the app starts with defaults.
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { memberSpecSchema } from '../contract/contract.ts';
import type { ErrorData } from '../contract/contract.ts';
import { SCRUB_SCHEDULES } from '../contract/scrub-schedule.ts';
import { NodeFs } from '../fs/node-fs.ts';

const knownMirrorSchema = z.strictObject({
  id: z.string().min(1).max(128),
  label: z.string().max(200).optional(),
  members: z.array(memberSpecSchema).min(1).max(16),
  maxBehindWrites: z.number().int().min(0).optional(),
  maxBehindBytes: z.number().int().min(0).optional(),
  // -- the settings view (issue 15, item 9) --
  /** The engine's member timeout this mirror opens with. */
  memberTimeoutMs: z.number().int().min(0).optional(),
  /** When its last full scrub finished, and when the scrub schedule began counting (before the first scrub). */
  lastScrubAt: z.number().optional(),
  scrubFrom: z.number().optional(),
  /** false after the user stopped it: a restart then leaves it closed. */
  autoAssemble: z.boolean(),
});

const configSchema = z.strictObject({
  version: z.literal(1),
  mirrors: z.array(knownMirrorSchema).max(64),
  activeMirrorId: z.string().nullable(),
  settings: z.strictObject({
    notifications: z.boolean(),
    scrubSchedule: z.enum(SCRUB_SCHEDULES).optional(),
    scrubRepair: z.boolean().optional(),
  }),
});

export type KnownMirror = z.infer<typeof knownMirrorSchema>;
export type AppConfig = z.infer<typeof configSchema>;

export const CONFIG_FILE = 'config.json';

export function defaultConfig(): AppConfig {
  return { version: 1, mirrors: [], activeMirrorId: null, settings: { notifications: true } };
}

export interface LoadedConfig { config: AppConfig; error?: ErrorData }

/** Reads the config; a missing file is a first start, an unreadable one is moved aside and reported. */
export async function loadConfig(dir: string): Promise<LoadedConfig> {
  const file = join(dir, CONFIG_FILE);
  await removeStaleTemps(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { config: defaultConfig() };
    return { config: defaultConfig(), error: { code: 'ECONFIG', message: `Could not read the settings file ${file}: ${(e as Error).message}. The app started without saved mirrors.` } };
  }
  let problem: string;
  try {
    const parsed = configSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { config: parsed.data };
    const issue = parsed.error.issues[0];
    problem = `${issue?.path.join('.') || 'file'}: ${issue?.message}`;
  } catch (e) {
    problem = `not valid JSON (${(e as Error).message})`;
  }
  // Keep the user's file for inspection instead of silently overwriting it on the next save.
  const aside = `${file}.bad-${Date.now()}`;
  const moved = await rename(file, aside).then(() => true, () => false);
  return {
    config: defaultConfig(),
    error: {
      code: 'ECONFIG',
      message: `The settings file ${file} is damaged (${problem}). ${moved ? `It was kept as ${aside}; ` : ''}the app started without saved mirrors — assemble your mirror again from the Drives screen.`,
    },
  };
}

/** A save killed before its rename leaves a temp file beside the config; it is never the config, so drop it. */
async function removeStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`${CONFIG_FILE}.`) && n.endsWith('.tmp')).map((n) => unlink(join(dir, n)).catch(() => {})));
}

/** Writes the config atomically (temp + fsync + rename + fsync folder): a crash leaves the old or the new file. */
export async function saveConfig(dir: string, config: AppConfig): Promise<void> {
  await mkdir(dir, { recursive: true });
  const writer = await new NodeFs().createAtomic(join(dir, CONFIG_FILE), dir);
  try {
    await writer.write(new TextEncoder().encode(JSON.stringify(configSchema.parse(config), null, 2) + '\n'));
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
