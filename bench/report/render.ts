// The run as one Markdown document (written to bench/results/, printed to the terminal) and as JSON.
import type { ScenarioResult } from '../harness/rotation.js';
import type { CryptoResult } from '../phases/crypto.js';
import type { Drive, OverloadResult } from '../phases/overload.js';
import type { ProfileResult } from '../phases/profile.js';
import type { SoakResult } from '../phases/soak.js';
import type { ProfileRow } from './profile.js';
import type { TargetCheck } from './targets.js';

export interface BenchReport {
  date: string;
  machine: { cores: number; cpu: string; node: string; platform: string };
  code: { commit: string; uncommittedSrcFiles: number };
  settings: { connections: number; durationSeconds: number; warmupSeconds: number; rounds: number; quick: boolean };
  /** 1-minute load average before and after the rotation: above the core count, other work shared the machine. */
  loadAverage: { before: number; after: number };
  wallSeconds: number;
  scenarios: ScenarioResult[];
  pending: Array<{ name: string; reason: string }>;
  targets: TargetCheck[];
  /** The ES256 microbenchmark the exchange's CPU is read against (run whenever exchange is). */
  crypto?: CryptoResult;
  soak?: SoakResult;
  /** attack and overload (issue 10), when selected. */
  overload?: OverloadResult;
  /** CPU profiles of one round each (exchange, launch). */
  profiles: ProfileResult[];
}

const MB = 1024 * 1024;

export function renderMarkdown(r: BenchReport): string {
  const out: string[] = [];
  const s = r.settings;
  out.push(`# campus-sts benchmark, ${r.date}`, '');
  const dirty = r.code.uncommittedSrcFiles ? ` plus uncommitted changes in ${r.code.uncommittedSrcFiles} file(s) under src/` : '';
  out.push(`Code: commit ${r.code.commit}${dirty}.`, '');
  out.push(
    `Machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, ${r.machine.platform}. ` +
      `Load: autocannon, ${s.connections} connections, 127.0.0.1, each server in its own process; ` +
      `${s.warmupSeconds} s warm-up, then ${s.rounds} rounds of ${s.durationSeconds} s in rotation; medians. ` +
      `Load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after; run took ${Math.round(r.wallSeconds)} s.${s.quick ? ' **Quick mode**: short rounds, indicative only.' : ''}`,
    '',
  );
  if (Math.max(r.loadAverage.before, r.loadAverage.after) > r.machine.cores) {
    out.push(
      '> The load average was above the core count: other work shared the machine. Absolute numbers are low and noisy; ' +
        'the rotation spreads that noise over every scenario, so compare ratios (and their per-round range), not req/s.',
      '',
    );
  }

  if (r.scenarios.length || r.pending.length) out.push(...rotationTables(r));
  if (r.overload) out.push(...overloadTables(r.overload));

  if (r.soak) {
    const k = r.soak;
    out.push(
      '## Soak (synchronous: full)',
      '',
      `${k.done.toLocaleString('en-US')} of ${k.target.toLocaleString('en-US')} exchanges in ${k.seconds.toFixed(0)} s (${k.rps.toFixed(0)} req/s)${k.complete ? '' : ', **stopped at the time cap**'}. ` +
        `RSS ${(k.memory.start.rss / MB).toFixed(1)} → ${(k.memory.end.rss / MB).toFixed(1)} MB (${signed(k.rssGrowthMb)} MB), ` +
        `heap used ${(k.memory.start.heapUsed / MB).toFixed(1)} → ${(k.memory.end.heapUsed / MB).toFixed(1)} MB (${signed(k.heapGrowthMb)} MB), both after a GC; start = after the warm-up. ` +
        `Audit rows for exchanges: ${k.auditGranted.toLocaleString('en-US')} success, ${k.auditRefused} refused; ` +
        `client saw ${k.granted.toLocaleString('en-US')} granted and ${k.notGranted} not granted (warm-up included): ${k.auditMatches ? '**equal**' : '**MISMATCH**'}.`,
      '',
    );
  }

  for (const p of r.profiles) {
    out.push(
      `## Where the time goes in ${p.scenario}`,
      '',
      `CPU profile (inspector, 100 µs sampling) of one ${s.durationSeconds} s round on a fresh, warmed-up server: ${p.load.rps.toFixed(0)} req/s while profiled, ` +
        `${(p.summary.busyMs / 1000).toFixed(1)} s busy, ${(p.summary.idleMs / 1000).toFixed(1)} s idle on the main thread. ` +
        `Percentages are of busy time; a native frame (SQLite, a crypto job, a socket write) is charged to its JS caller. Profile: \`${p.file}\`.`,
      '',
    );
    out.push(...profileTable('Self time by area', p.summary.byArea.slice(0, 12)));
    out.push(...profileTable('Self time by function', p.summary.selfByFunction.slice(0, 20)));
    out.push(...profileTable('Inclusive time of our functions (synchronous part only: after an `await`, time is charged to the continuation)', p.summary.inclusiveOurs.slice(0, 12)));
  }

  const problems = r.scenarios.flatMap((sc) => sc.problems.map((p) => `${sc.name}: ${p}`));
  if (problems.length) out.push('## Problems seen during the run', '', ...problems.map((p) => `- ${p}`), '');
  return out.join('\n');
}

function rotationTables(r: BenchReport): string[] {
  const out: string[] = [];
  out.push(
    '## Scenarios',
    '',
    'Server CPU: the server process\'s CPU time over the round (user + system, all its threads: libuv\'s pool, workers, GC) per answer it counted, median of the rounds; ' +
      'the database server\'s and the balancer\'s CPU are not in it. Load CPU: the same for the load generator (autocannon, in the harness process) per answer it received. ' +
      `Machine: the share of the ${r.machine.cores} cores those two used together (req/s × their CPU per answer); near 100 % the machine, not the server, set the rate.`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | server CPU µs/answer | load CPU µs/answer | machine | rounds (req/s) | what one request does |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
  );
  for (const sc of r.scenarios) {
    const m = sc.median;
    const rounds = sc.rounds.map((x) => x.rps.toFixed(0)).join(' · ');
    const machine = (m.rps * m.machineCpuUsPerAnswer) / (r.machine.cores * 1e6);
    out.push(
      `| ${sc.name} | ${m.rps.toFixed(0)} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${m.cpuUsPerAnswer.toFixed(0)} | ${m.loadCpuUsPerAnswer.toFixed(0)} | ${(machine * 100).toFixed(0)} % | ${rounds} | ${sc.description} |`,
    );
  }
  for (const p of r.pending) out.push(`| ${p.name} | — | — | — | — | — | — | | ${p.reason} |`);
  out.push('');
  if (r.crypto) out.push(...cryptoParagraph(r.crypto));

  out.push('## Ratios from this run against the targets of issues 14, 12 and 6', '', '| ratio | value | per-round range | target | met |', '|---|---:|---|---|---|');
  for (const t of r.targets) {
    const met = t.met === undefined ? '—' : t.met ? 'yes' : '**no**';
    out.push(`| ${t.label} | ${t.shown} | ${t.spread ?? ''} | ${t.target} | ${met}${t.note ? ` (${t.note})` : ''} |`);
  }
  out.push('');
  return out;
}

function cryptoParagraph(c: CryptoResult): string[] {
  const range = (values: number[]) => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
  return [
    '## The cryptography alone',
    '',
    `node:crypto, synchronous, KeyObjects, IEEE P1363 signatures (the cheapest ES256 on this machine), in a child of its own after the rotation: ` +
      `verify ${c.verifyUs.toFixed(1)} µs (${range(c.batches.map((b) => b.verifyUs))}) + sign ${c.signUs.toFixed(1)} µs (${range(c.batches.map((b) => b.signUs))}) = ` +
      `**${c.pairUs.toFixed(1)} µs** of CPU per exchange's worth, medians of ${c.batches.length} batches of ${c.iterations.toLocaleString('en-US')}, ` +
      `on the signing inputs of a real exchange's tokens (${c.verifiedBytes} bytes verified, ${c.signedBytes} bytes signed).`,
    '',
  ];
}

function overloadTables(o: OverloadResult): string[] {
  const out: string[] = [];
  const statuses = (d: Drive) =>
    Object.entries(d.byStatus)
      .map(([code, n]) => `${code}: ${n}`)
      .concat(d.errors ? [`errors: ${d.errors}`] : [], d.timeouts ? [`timeouts: ${d.timeouts}`] : [])
      .join(', ');
  if (o.attack) {
    out.push(
      '## Attack next to a legitimate client',
      '',
      `A legitimate client (2 connections, right secret, client_credentials, from 203.0.113.9) runs for ${o.durationSeconds} s while an attacker ` +
        '(20 connections, wrong secrets, as fast as answered) runs next to it; a fresh server for each row, behind a trusted proxy (X-Forwarded-For).',
      '',
      '| variant | legit req/s | legit p50 ms | legit p99 ms | legit longest ms | attacker req/s | attacker answers |',
      '|---|---:|---:|---:|---:|---:|---|',
    );
    for (const a of o.attack) {
      out.push(
        `| ${a.variant} | ${a.legit.goodput.toFixed(0)} | ${a.legit.p50OkMs.toFixed(1)} | ${a.legit.p99OkMs.toFixed(1)} | ${a.legit.maxMs.toFixed(0)} | ${a.attacker ? a.attacker.sentPerSecond.toFixed(0) : '—'} | ${a.attacker ? statuses(a.attacker) : '—'} |`,
      );
    }
    out.push('');
  }
  if (o.overload) {
    const ad = o.admission;
    out.push(
      '## Offered load at 3x capacity',
      '',
      `Capacity: 50 connections as fast as answered. Then ${o.overload[0]?.connections ?? 0} connections offer 3x that rate (autocannon overallRate) for ${o.durationSeconds} s, ` +
        `with admission on (max_in_flight ${ad.max_in_flight}, max_queue ${ad.max_queue}, queue_deadline_ms ${ad.queue_deadline_ms}) and off. ` +
        'Latencies count requests sent after the first second (connections still opening before that); longest wait: the slowest answer of any status. ' +
        'Without admission the connections wait inside the server, so less than the offered rate is actually sent (see "sent"). ' +
        `Placement: ${o.placement ?? 'not pinned'}.`,
      '',
      '| target | admission | capacity req/s | offered req/s (sent) | goodput req/s | goodput / capacity | p99 of successes ms | longest wait ms | answers |',
      '|---|---|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const row of o.overload) {
      for (const [label, d] of [['on', row.shedding], ['off', row.unbounded]] as const) {
        out.push(
          `| ${row.target} | ${label} | ${row.capacity.goodput.toFixed(0)} | ${row.offeredRate} (${d.sentPerSecond.toFixed(0)}) | ${d.goodput.toFixed(0)} | ${(d.goodput / row.capacity.goodput).toFixed(2)} | ${d.p99OkMs.toFixed(0)} | ${d.maxMs.toFixed(0)} | ${statuses(d)} |`,
        );
      }
    }
    out.push('');
  }
  return out;
}

function profileTable(title: string, rows: ProfileRow[]): string[] {
  return [`**${title}**`, '', '| | ms | % |', '|---|---:|---:|', ...rows.map((x) => `| \`${x.name.replace(/\|/g, '\\|')}\` | ${x.ms.toFixed(0)} | ${x.percent.toFixed(1)} |`), ''];
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
}
