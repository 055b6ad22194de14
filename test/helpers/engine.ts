// Engine test fixtures: member folders in a temp dir, event recorders, and a whole-tree comparison of members.
import assert from 'node:assert/strict';
import { readdir, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MirrorEvent } from '../../core/index.ts';
import type { Mirror } from '../../core/index.ts';

export function recordEvents(m: Mirror): MirrorEvent[] {
  const events: MirrorEvent[] = [];
  m.onEvent((e) => events.push(e));
  return events;
}

/**
 * Resolves with the first matching event. Subscribe before the action that causes it: an event emitted before the
 * call is never seen. Rejects after `withinMs` with the mirror's status, so a missed event fails its test by name
 * (with what the members were doing) instead of stalling the whole run.
 */
export function nextEvent<T extends MirrorEvent['type']>(m: Mirror, type: T, pred: (e: Extract<MirrorEvent, { type: T }>) => boolean = () => true, withinMs = 60_000): Promise<Extract<MirrorEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      const members = m.status().members.map((x) => `${x.label}: ${x.state}, ${x.behindWrites} behind`).join('; ');
      reject(new Error(`no matching '${type}' event within ${withinMs} ms (${members})`));
    }, withinMs);
    const off = m.onEvent((e) => {
      if (e.type === type && pred(e as Extract<MirrorEvent, { type: T }>)) { clearTimeout(timer); off(); resolve(e as Extract<MirrorEvent, { type: T }>); }
    });
  });
}

/**
 * The seed, through any front end: one behind write of `path` pending on the USB drive (held by the caller), the fast
 * member yanked, then `read` — a GET, a cat — must wait on the USB drive until the write lands, and the UI must hear
 * when the wait ends. Resolves with what `read` returned once the held write was let through.
 */
export async function seedRead<T>(m: Mirror, drives: { fast: { yank(): void }; usb: { resume(): void } }, path: string, read: () => Promise<T>): Promise<T> {
  const usb = m.status().members.find((x) => x.label === 'USB')!;
  assert.equal(usb.behindWrites, 1);
  assert.deepEqual(usb.behindPaths, [path]);
  const events = recordEvents(m);
  drives.fast.yank(); // the SSD is gone: the next read falls back to the USB drive
  const waiting = nextEvent(m, 'read-fallback', (e) => e.path === path && e.waitingWrites === 1);
  let answered = false;
  const reading = read().then((r) => { answered = true; return r; });
  const fallback = await waiting;
  assert.equal(fallback.memberId, usb.id);
  assert.equal(answered, false, 'the read waits while the write it could overtake is pending');
  drives.usb.resume();
  const r = await reading;
  assert.ok(events.some((e) => e.type === 'read-fallback-done' && e.path === path), 'the UI is told when the wait ends');
  return r;
}

/** Every user file under a member folder (not .nas-mirror), as path → content. */
export async function treeOf(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string, rel: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (rel === '' && (e.name === '.nas-mirror' || e.name === 'lost+found')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { out.set(r + '/', ''); await walk(join(dir, e.name), r); }
      else if (e.isFile()) out.set(r, (await readFile(join(dir, e.name))).toString('base64'));
      // a symbolic link or special file is not part of the mirror: left out, never followed
    }
  };
  await walk(root, '');
  return out;
}

/** Everything under `dir`, links included (as their target text), never following one: a before/after picture. */
export async function snapshot(dir: string, skip: readonly string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (rel === '' && skip.includes(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out.set(r, `-> ${await readlink(join(d, e.name))}`);
      else if (e.isDirectory()) { out.set(`${r}/`, ''); await walk(join(d, e.name), r); }
      else out.set(r, (await readFile(join(d, e.name))).toString('base64'));
    }
  };
  await walk(dir, '');
  return out;
}

export const text = (u: Uint8Array) => Buffer.from(u).toString('utf8');

/** The live records of a member's intent journal, replayed from its log the way the engine reads it. */
export async function journalRecords(root: string): Promise<Set<string>> {
  const live = new Set<string>();
  for (const line of (await readFile(join(root, '.nas-mirror', 'intent.log'), 'utf8')).split('\n')) {
    if (line.startsWith('+')) live.add(JSON.parse(line.slice(1, line.lastIndexOf('\t'))));
    if (line.startsWith('-')) live.delete(JSON.parse(line.slice(1)));
  }
  return live;
}

/**
 * Rot, as a failing sector makes it: the content changes in place, size and modification time stay as written (so
 * the engine tells it from an edit made on the drive, which moves the time: SnapRAID's rule). `content` must be as
 * long as what is there.
 */
export async function rot(file: string, content?: Uint8Array | string): Promise<void> {
  const s = await stat(file);
  const bytes = content === undefined ? await readFile(file) : Buffer.from(content);
  if (content === undefined) bytes[0] ^= 0x20;
  if (bytes.length !== s.size) throw new Error(`rot(${file}): ${bytes.length} bytes for a ${s.size}-byte file`);
  await writeFile(file, bytes);
  await utimes(file, s.atimeMs / 1000, s.mtimeMs / 1000);
}
