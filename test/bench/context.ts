// What every scenario gets: options, the drives, the seeded tree, a logger, and figures shared between scenarios.
import type { BenchLab } from './lab.ts';
import type { Row } from './measure.ts';
import type { BenchOptions } from './options.ts';
import type { TreeSpec } from './tree.ts';

export interface Drives {
  /** The fast member's drive (and the filesystem the raw-limit tools write to). */
  fast: string;
  /** A second fast drive: the other member of a fast+fast mirror, and new-member targets. */
  fast2: string;
  /** The write-mostly member's drive (throttled in software where a scenario says so). */
  slow: string;
  /** Peer tools' copies and sources. */
  peer: string;
}

export interface BenchContext {
  opts: BenchOptions;
  lab: BenchLab;
  drives: Drives;
  tree: TreeSpec;
  log(msg: string): void;
  /** Cold runs: drops the page cache if allowed; records whether it did, and says so. */
  cold(): Promise<boolean>;
  /** The members of a stopped mirror that already holds the tree (made once, shared by scenarios 4 and 6). */
  seeded(): Promise<{ a: string; b: string }>;
  /** Figures one scenario measured that another uses to derive a limit (dd MB/s from scenario 2). */
  shared: { ddWriteMBps?: number };
}

export type Scenario = (ctx: BenchContext) => Promise<Row[]>;
