import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Knobs } from './harness/children.js';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios/types.js';

/** Everything `--only` accepts: the rotation's scenarios, the phases after it, and the abuse and overload runs. */
export const SELECTABLE = [...SCENARIO_NAMES, 'soak', 'profile', 'attack', 'overload'] as const;
/**
 * Run only when named in `--only` (or, the tuned ones, with `--knobs`): attack and overload drive the machine past
 * saturation on purpose (issue 10); the tuned runs measure deployment settings, not the code (issue 14).
 */
const ON_REQUEST_ONLY: readonly Selectable[] = ['attack', 'overload', 'floor-tuned', 'exchange-tuned'];
/** Each tuned run is read against its untuned twin. */
const TUNED_OF = { 'floor-tuned': 'floor', 'exchange-tuned': 'exchange' } as const;
export type Selectable = (typeof SELECTABLE)[number];

export interface BenchOptions {
  quick: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  only: Set<Selectable>;
  soakCount: number;
  soakMaxSeconds: number;
  outDir: string;
  /** Also write bench/results/README.md (the committed snapshot). */
  snapshot: boolean;
  /** Hard limit for the whole run; the harness stops its servers and exits 1 past it. */
  maxMinutes: number;
  knobs: Knobs;
}

/** Picked by measurement on the 2-core machine (bench/README.md, "Deployment knobs"). */
const DEFAULT_KNOBS: Knobs = { threadpool: 8, semiSpaceMb: 64 };

export const USAGE = `npm run bench -- [options]

  --quick                 whole run in about 3 minutes (short rounds, small soak, no profile)
  --duration S            seconds per measured round (default 8, quick 2)
  --warmup S              seconds of warm-up per scenario (default 4, quick 1)
  --rounds N              rounds in rotation (default 5, quick 2)
  --connections N         concurrent connections (default 50)
  --only a,b              subset of: ${SELECTABLE.join(', ')}
                          (attack and overload run only when named here; exchange-pg-2
                          brings exchange-pg-lb, one instance behind the same balancer)
  --knobs                 also run floor-tuned and exchange-tuned (with floor and exchange):
                          the deployment knobs below, reported apart from the targets
  --threadpool N          UV_THREADPOOL_SIZE of the tuned runs (default ${DEFAULT_KNOBS.threadpool}; Node's is 4)
  --semi-space MB         --max-semi-space-size of the tuned runs (default ${DEFAULT_KNOBS.semiSpaceMb}; Node 20's is 16)
  --soak-count N          exchanges in the soak (default 1000000, quick 20000)
  --soak-max-seconds S    time cap of the soak (default 60, quick 15)
  --out DIR               where results go (default bench/results)
  --snapshot              also write bench/results/README.md
  --max-minutes M         hard stop for the whole run (default 16, 18 with --knobs, quick 5)
  --help`;

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      'soak-count': { type: 'string' },
      'soak-max-seconds': { type: 'string' },
      out: { type: 'string' },
      snapshot: { type: 'boolean', default: false },
      'max-minutes': { type: 'string' },
      knobs: { type: 'boolean', default: false },
      threadpool: { type: 'string' },
      'semi-space': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const num = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return n;
  };
  const only = new Set<Selectable>();
  for (const name of (values.only ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(SELECTABLE as readonly string[]).includes(name)) throw new Error(`--only: unknown "${name}" (known: ${SELECTABLE.join(', ')})`);
    only.add(name as Selectable);
  }
  // Two instances behind the balancer are read against one instance behind it: the balancer's cost is not scaling.
  if (only.has('exchange-pg-2')) only.add('exchange-pg-lb');
  if (only.size === 0) for (const name of SELECTABLE) if (!(quick && name === 'profile') && !ON_REQUEST_ONLY.includes(name)) only.add(name);
  if (values.knobs) for (const tuned of Object.keys(TUNED_OF) as Array<keyof typeof TUNED_OF>) only.add(tuned);
  for (const [tuned, base] of Object.entries(TUNED_OF)) if (only.has(tuned as Selectable)) only.add(base);
  return {
    quick,
    durationSeconds: num('duration', values.duration, quick ? 2 : 8, 1, 600),
    warmupSeconds: num('warmup', values.warmup, quick ? 1 : 4, 0, 120),
    rounds: Math.round(num('rounds', values.rounds, quick ? 2 : 5, 1, 50)),
    connections: Math.round(num('connections', values.connections, 50, 1, 1000)),
    only,
    soakCount: Math.round(num('soak-count', values['soak-count'], quick ? 20_000 : 1_000_000, 100, 100_000_000)),
    soakMaxSeconds: num('soak-max-seconds', values['soak-max-seconds'], quick ? 15 : 60, 5, 24 * 3600),
    outDir: values.out ?? 'bench/results',
    snapshot: values.snapshot ?? false,
    // At load average 8-16 on 2 cores a full run took 14 minutes, a quick one 3.3; the two tuned scenarios add about 1.5.
    maxMinutes: num('max-minutes', values['max-minutes'], quick ? 5 : values.knobs ? 18 : 16, 1, 24 * 60),
    knobs: {
      threadpool: Math.round(num('threadpool', values.threadpool, DEFAULT_KNOBS.threadpool, 1, 1024)),
      semiSpaceMb: Math.round(num('semi-space', values['semi-space'], DEFAULT_KNOBS.semiSpaceMb, 1, 1024)),
    },
  };
}

export function describeMachine() {
  const list = cpus();
  return { cores: list.length, cpu: list[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}` };
}

/**
 * Which code was measured: the commit, and how many files under src/ differ from it (a benchmark of a working
 * tree with uncommitted changes is not reproducible from the commit alone, so the report says so).
 */
export function describeCode(): { commit: string; uncommittedSrcFiles: number } {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  try {
    const changed = git('status', '--porcelain', '--', 'src');
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommittedSrcFiles: changed ? changed.split('\n').length : 0 };
  } catch {
    return { commit: 'unknown (not a git checkout)', uncommittedSrcFiles: 0 };
  }
}

export function rotationNames(only: Set<Selectable>): ScenarioName[] {
  return SCENARIO_NAMES.filter((n) => only.has(n));
}
