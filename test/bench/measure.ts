// Bench rows and the arithmetic on them: medians, percentiles, timing, ratios, and a plain-text table.

/** One figure of one tool in one scenario; value is the median over runs (null: not installed / not implemented). */
export interface Row {
  scenario: number;
  /** engine: NAS Mirror itself; peer: a tool people would use instead (or an engine variant used as reference); limit: the disk's own. */
  role: 'engine' | 'peer' | 'limit';
  tool: string;
  metric: string;
  unit: string;
  value: number | null;
  runs: number[];
  note?: string;
  /** true when lower is better (latency, time); false for throughput. */
  lowerIsBetter: boolean;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export async function timeMs<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** A row from per-run figures (median of them), or a row that could not be measured. */
export function row(scenario: number, role: Row['role'], tool: string, metric: string, unit: string, runs: number[] | string,
  o: { higherIsBetter?: boolean; note?: string } = {}): Row {
  const lowerIsBetter = !o.higherIsBetter;
  if (typeof runs === 'string') return { scenario, role, tool, metric, unit, value: null, runs: [], note: runs, lowerIsBetter };
  return { scenario, role, tool, metric, unit, value: round(median(runs), 3), runs: runs.map((r) => round(r, 3)), lowerIsBetter, ...(o.note ? { note: o.note } : {}) };
}

/**
 * How far `r` is from the best of `others` (same metric, measured): ≥ 1 means worse by that factor, < 1 better.
 * For times it is r / best; for rates best / r, so the number always reads "times slower".
 */
export function ratioToBest(r: Row, others: readonly Row[]): { best: Row; ratio: number } | null {
  const same = others.filter((p) => p !== r && p.metric === r.metric && p.value !== null && p.value > 0);
  if (r.value === null || same.length === 0) return null;
  const best = same.reduce((a, b) => (r.lowerIsBetter ? (b.value! < a.value! ? b : a) : (b.value! > a.value! ? b : a)));
  return { best, ratio: r.lowerIsBetter ? r.value / best.value! : best.value! / r.value };
}

export function formatValue(r: Row): string {
  if (r.value === null) return r.note ?? 'n/a';
  return `${r.value} ${r.unit}`;
}

export function printTable(title: string, rows: readonly Row[]): void {
  const lines = rows.map((r) => [r.tool, r.metric, formatValue(r), r.runs.length ? r.runs.join(' / ') : '', r.value !== null ? (r.note ?? '') : '']);
  const head = ['tool', 'metric', 'median', 'runs', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(`\n${title}\n${fmt(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const l of lines) console.log(fmt(l));
}
