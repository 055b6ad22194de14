// Command-line options of `npm run bench`: tree size, quick mode, which scenarios, how many runs.

export interface BenchOptions {
  files: number;
  folders: number;
  quick: boolean;
  scenarios: number[];
  runs: number;
  /** Total bytes streamed in scenario 2. */
  streamBytes: number;
  /** Scenario 9's big file (dd and smbclient through the mount); absent: 1 GiB (64 MiB with --quick). */
  mountBytes?: number;
  /** Use plain temp folders even when loop images are possible (the smoke test). */
  noLoop: boolean;
  /** Where latest.json and RESULTS.md go; null = don't write. */
  outDir: string | null;
  seed: number;
}

const usage = 'usage: npm run bench -- [--files N] [--quick] [--scenario N[,N]] [--runs N] [--stream-mib N] [--mount-mib N] [--no-loop] [--no-write | --out DIR]';

export function parseOptions(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { files: 20_000, folders: 200, quick: false, scenarios: [1, 2, 3, 4, 5, 6, 7, 8, 9], runs: 3, streamBytes: 2 * 2 ** 30, noLoop: false, outDir: 'test/bench', seed: 42 };
  let filesGiven = false, streamGiven = false, runsGiven = false, outGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number\n${usage}`);
      return v;
    };
    switch (a) {
      case '--files': o.files = num(); filesGiven = true; break;
      case '--quick': o.quick = true; break;
      case '--scenario': o.scenarios = String(argv[++i]).split(',').map(Number).filter((n) => n >= 1 && n <= 9); break;
      case '--runs': o.runs = Math.max(1, num()); runsGiven = true; break;
      case '--stream-mib': o.streamBytes = num() * 2 ** 20; streamGiven = true; break;
      case '--mount-mib': o.mountBytes = Math.max(1, Math.round(num())) * 2 ** 20; break;
      case '--no-loop': o.noLoop = true; break;
      case '--no-write': o.outDir = null; outGiven = true; break;
      case '--out': o.outDir = String(argv[++i]); outGiven = true; break;
      case '--seed': o.seed = num(); break;
      case '--help': case '-h': console.log(usage); process.exit(0); break; // exit() does not return; the break says so to the reader
      default: throw new Error(`unknown option ${a}\n${usage}`);
    }
  }
  if (o.quick) {
    if (!filesGiven) o.files = 300;
    if (!streamGiven) o.streamBytes = 64 << 20;
    if (!runsGiven) o.runs = 1;
    if (!outGiven) o.outDir = null; // a smoke run never overwrites the committed figures
  }
  o.folders = Math.max(1, Math.min(o.files, Math.round(o.files / 100)));
  return o;
}
