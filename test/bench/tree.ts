// Deterministic seeded trees: the same seed and size give the same paths and bytes on every machine.
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface TreeFile { path: string; size: number; seed: number }
export interface TreeSpec { files: TreeFile[]; folders: string[]; bytes: number }

/** mulberry32: small, fast, good enough to pick sizes and fill bytes reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Sizes are log-normal, clamped: log2(size/1 KiB) ~ N(3.4, 2) in [0, 10] → 1 KiB–1 MiB, mean ≈ 26 KiB
 * (≈ 540 MiB for 20,000 files). Past 20,000 files the tree is of small files: N(1, 1.2) in [0, 4] → 1–16 KiB.
 */
export function treeSpec(files: number, folders: number, seed = 42): TreeSpec {
  const rnd = prng(seed);
  const small = files > 20_000;
  const [mu, sigma, hi] = small ? [1, 1.2, 4] : [3.4, 2, 10];
  const folderNames = Array.from({ length: folders }, (_, i) => `d${String(Math.floor(i / 20)).padStart(3, '0')}/f${String(i).padStart(4, '0')}`);
  const out: TreeFile[] = [];
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()); // Box–Muller
    const size = Math.round(1024 * 2 ** Math.min(hi, Math.max(0, mu + sigma * g)));
    const folder = folderNames[i % folders]!;
    out.push({ path: `${folder}/file-${String(i).padStart(7, '0')}.bin`, size, seed: (seed * 7919 + i) >>> 0 });
    bytes += size;
  }
  return { files: out, folders: folderNames, bytes };
}

/** The bytes of one file: a cheap keyed pattern (not compressible by accident, identical on every run). */
export function fileBytes(f: { size: number; seed: number }, salt = 0): Uint8Array {
  const buf = new Uint8Array(f.size);
  const words = new Uint32Array(buf.buffer, 0, f.size >>> 2);
  let x = (f.seed ^ Math.imul(salt + 1, 0x9e3779b9)) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[i] = x >>> 0; }
  for (let i = words.length * 4; i < f.size; i++) buf[i] = i & 0xff;
  return buf;
}

/** Writes the tree under `root` with plain writes (no fsync: seeding is not what is measured), a few files at a time. */
export async function writeTree(root: string, spec: TreeSpec, concurrency = 16): Promise<void> {
  for (const d of new Set(spec.files.map((f) => dirname(f.path)))) await mkdir(join(root, d), { recursive: true });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < spec.files.length; i = next++) {
      const f = spec.files[i]!;
      const fh = await open(join(root, f.path), 'w');
      try { await fh.write(fileBytes(f)); } finally { await fh.close(); }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
