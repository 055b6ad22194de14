// Rewrites test/bench/RESULTS.md from results/latest.json (after a change to the report format), without re-running.
import { readFile } from 'node:fs/promises';
import { writeResults, type BenchResult } from './report.ts';

const res = JSON.parse(await readFile('test/bench/results/latest.json', 'utf8')) as BenchResult;
await writeResults('test/bench', res);
console.log('rewrote test/bench/RESULTS.md');
