// The compact store against a Map: the same answers after any run of sets, deletes and loads (a property test over
// seeded random runs), names that need JSON escapes, values that grow and shrink, and rebuilds after many deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactStore } from './compact-store.ts';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t ^= t + Math.imul(t ^ (t >>> 7), 61 | t); return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32; };
}

const NAMES = ['a', 'photo 1.jpg', 'Füße', 'quote"d', 'back\\slash', 'tab\there', 'line\nbreak', '日本語', 'e\u0301', 'x'.repeat(300), '🎉', ''];
const line = (op: '+' | '-', k: string, v?: string) => (op === '+' ? `+${JSON.stringify(k)}\t${v}\n` : `-${JSON.stringify(k)}\n`);

function same(store: CompactStore, map: Map<string, string>, keys: string[]): void {
  assert.equal(store.size, map.size);
  assert.deepEqual([...store], [...map], 'entries in insertion order');
  for (const k of keys) assert.equal(store.get(k), map.get(k), `get ${JSON.stringify(k)}`);
}

test('the compact store answers as a Map does, over random sets, deletes and reloads', () => {
  const runs = Number(process.env.NAS_COMPACT_RUNS ?? 300);
  for (let run = 0; run < runs; run++) {
    const rnd = prng(run + 1);
    const keys = Array.from({ length: 1 + Math.floor(rnd() * 60) }, (_, i) => `${NAMES[i % NAMES.length]}/${i % 7}-${Math.floor(rnd() * 5)}`);
    const pick = () => keys[Math.floor(rnd() * keys.length)]!;
    const value = () => (rnd() < 0.2 ? '/' : 'h'.repeat(Math.floor(rnd() * 90)) + ' ' + Math.floor(rnd() * 1e6));
    // A log file's text: the lines a RecordLog would hold, replayed by load().
    const map = new Map<string, string>();
    let text = '';
    for (let i = 0; i < rnd() * 200; i++) {
      const k = pick();
      if (rnd() < 0.3) { text += line('-', k); map.delete(k); } else { const v = value(); text += line('+', k, v); map.set(k, v); }
    }
    // Half the runs with tiny chunks and eager rebuilds, so that both are crossed all the time.
    const store = run % 2 ? new CompactStore({ chunk: 1024, rebuildDead: 4, rebuildGarbage: 64 }) : new CompactStore();
    const bytes = Buffer.from(text);
    assert.equal(store.load(bytes, bytes.length), text.split('\n').filter((l) => l.length >= 3).length);
    same(store, map, keys);
    for (let i = 0; i < rnd() * 3000; i++) {
      const k = pick(), r = rnd();
      if (r < 0.45) { const v = value(); store.set(k, v); map.set(k, v); } else if (r < 0.9) assert.equal(store.delete(k), map.delete(k));
      else assert.equal(store.has(k), map.has(k));
    }
    same(store, map, keys);
  }
});

test('a store of many entries survives deletes of most of them (rebuilt) and keeps its order', () => {
  const store = new CompactStore(), map = new Map<string, string>();
  for (let i = 0; i < 50_000; i++) { const k = `folder${i % 500}/photo ${i}.jpg`, v = `hash${i} ${i} 1733000000000.5 ${i}`; store.set(k, v); map.set(k, v); }
  for (let i = 0; i < 50_000; i += 1) if (i % 10) { const k = `folder${i % 500}/photo ${i}.jpg`; store.delete(k); map.delete(k); }
  for (let i = 0; i < 50_000; i += 10) { const k = `folder${i % 500}/photo ${i}.jpg`, v = `a longer value than before, ${i}`; store.set(k, v); map.set(k, v); }
  same(store, map, [...map.keys()].slice(0, 500));
  assert.equal(store.get('folder1/photo 1.jpg'), undefined);
});

test('a line that cannot be read is skipped, as RecordLog skips a torn one', () => {
  const text = `+"ok"\tv1\n+"no tab"\n+noquote\tv\n+"bad \\q"\tv\n-"ok"\n+"ok"\tv2\n+"é"\tv3\n`;
  const store = new CompactStore();
  const bytes = Buffer.from(text);
  store.load(bytes, bytes.length);
  assert.deepEqual([...store], [['ok', 'v2'], ['é', 'v3']]);
});

test('marks stay with their keys through sets, grown values and rebuilds; a key deleted and set again is unmarked', () => {
  for (let run = 0; run < 200; run++) {
    const rnd = prng(1000 + run);
    const keys = Array.from({ length: 1 + Math.floor(rnd() * 80) }, (_, i) => `${NAMES[i % NAMES.length]}/${i}`);
    const pick = () => keys[Math.floor(rnd() * keys.length)]!;
    const store = run % 2 ? new CompactStore({ chunk: 1024, rebuildDead: 4, rebuildGarbage: 64 }) : new CompactStore();
    const map = new Map<string, string>();
    const marked = new Set<string>();
    for (const k of keys) if (rnd() < 0.7) { const v = 'h'.repeat(Math.floor(rnd() * 40)); store.set(k, v); map.set(k, v); }
    store.startMarks();
    for (let i = 0; i < 400; i++) {
      const k = pick(), r = rnd();
      if (r < 0.4) {
        assert.equal(store.getMarking(k), map.get(k));
        if (map.has(k)) marked.add(k);
      } else if (r < 0.7) {
        const v = 'v'.repeat(Math.floor(rnd() * 120)); // longer values move to new bytes, shorter stay put
        store.set(k, v);
        map.set(k, v);
      } else if (store.delete(k)) {
        map.delete(k);
        marked.delete(k); // set again later, it is a new entry
      }
      if (i % 50 === 0) for (const key of keys) assert.equal(store.isMarked(key), marked.has(key), `run ${run} op ${i}: isMarked ${JSON.stringify(key)}`);
    }
    assert.deepEqual([...store.unmarkedKeys()], [...map.keys()].filter((k) => !marked.has(k)), `run ${run}: the keys not met, in order`);
    store.endMarks();
    assert.deepEqual([...store.unmarkedKeys()], [...map.keys()], 'no walk marking: every key');
  }
});
