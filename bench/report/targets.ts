// The targets of issue 14 (with those of issues 6 and 12 that still mean something, and ratios reported without
// one), each computed from the scenarios of the same run: the ratio of the medians, and the spread of the
// per-round ratios (round i of A against round i of B, measured seconds apart).
import type { RoundResult, ScenarioResult } from '../harness/rotation.js';
import type { CryptoResult } from '../phases/crypto.js';
import type { SoakResult } from '../phases/soak.js';
import type { ScenarioName } from '../scenarios/types.js';

export interface TargetCheck {
  id: string;
  /** What is compared, as the table says it. */
  label: string;
  target: string;
  value?: number;
  /** The value as shown (ratio, ms, MB …). */
  shown: string;
  /** min–max of the per-round ratios, when the value is a ratio of two scenarios. */
  spread?: string;
  /** undefined: not measured in this run (scenario not selected, or pending). */
  met?: boolean;
  note?: string;
}

interface Ratio {
  id: string;
  label: string;
  a: ScenarioName;
  b: ScenarioName;
  metric: 'rps' | 'p99Ms';
  /** Absent: reported only, no target (what scales and what does not on this machine). */
  op?: '>=' | '<=';
  limit?: number;
  note?: string;
}

const RATIOS: Ratio[] = [
  // The same work as the peer (client auth, a resource, one ES256 JWT), plus campus-sts's audit row.
  { id: 'cc/peer', label: 'campus-sts client_credentials / oidc-provider client_credentials (req/s)', a: 'cc', b: 'peer', metric: 'rps', op: '>=', limit: 1.2 },
  { id: 'exchange/floor', label: 'exchange / floor (req/s)', a: 'exchange', b: 'floor', metric: 'rps', op: '>=', limit: 0.9 },
  { id: 'exchange-p99/floor-p99', label: 'exchange p99 / floor p99', a: 'exchange', b: 'floor', metric: 'p99Ms', op: '<=', limit: 1.3 },
  // Issue 6: what durability costs (group commit keeps FULL near NORMAL).
  { id: 'durable/exchange', label: 'durable exchange (FULL) / exchange (NORMAL) (req/s)', a: 'exchange-durable', b: 'exchange', metric: 'rps', op: '>=', limit: 0.8 },
  { id: 'launch/raw', label: 'launch / raw node-saml validate (req/s)', a: 'launch', b: 'saml-raw', metric: 'rps', op: '>=', limit: 0.9 },
  // PostgreSQL against SQLite, both durable (synchronous_commit on, synchronous FULL); the p99 row is issue 12's.
  { id: 'pg/sqlite', label: 'exchange on PostgreSQL / on SQLite FULL (req/s)', a: 'exchange-pg', b: 'exchange-durable', metric: 'rps', op: '>=', limit: 0.6 },
  { id: 'pg-p99/sqlite-p99', label: 'exchange p99 on PostgreSQL / on SQLite FULL', a: 'exchange-pg', b: 'exchange-durable', metric: 'p99Ms', op: '<=', limit: 2.0 },
  { id: 'pg-2/pg', label: 'two instances behind HAProxy / one instance direct (req/s)', a: 'exchange-pg-2', b: 'exchange-pg', metric: 'rps' },
  { id: 'pg-2/pg-lb', label: 'two instances / one instance, both behind HAProxy (req/s)', a: 'exchange-pg-2', b: 'exchange-pg-lb', metric: 'rps' },
  { id: 'pg-lb/pg', label: 'one instance behind HAProxy / direct (req/s): the balancer\'s cost', a: 'exchange-pg-lb', b: 'exchange-pg', metric: 'rps' },
  // Deployment knobs (--knobs): what they give any Node server, reported apart from the code's gains.
  { id: 'floor-tuned/floor', label: 'floor with the deployment knobs / without (req/s)', a: 'floor-tuned', b: 'floor', metric: 'rps' },
  { id: 'exchange-tuned/exchange', label: 'exchange with the deployment knobs / without (req/s)', a: 'exchange-tuned', b: 'exchange', metric: 'rps' },
];

/** Server CPU per answer against the crypto microbenchmark's verify + sign: the exchange's row has the target. */
const CPU_ROWS: Array<{ name: ScenarioName; label: string; limit?: number }> = [
  { name: 'exchange', label: 'CPU per exchange / CPU of one ES256 verify + sign', limit: 2.0 },
  { name: 'floor', label: 'CPU per floor answer / the same cryptography' },
  { name: 'cc', label: 'CPU per cc answer / the same cryptography' },
];

/**
 * The req/s ratio two scenarios would reach if each used the whole machine (every core busy with its server and
 * its load generator): the inverse ratio of their CPU per answer, server + load generator. The ceiling of what
 * spreading a server over more event loops could give on this machine.
 */
const CPU_BOUND_ROWS: Array<{ a: ScenarioName; b: ScenarioName }> = [
  { a: 'exchange', b: 'floor' },
  { a: 'cc', b: 'peer' },
];

export function evaluateTargets(scenarios: ScenarioResult[], soak: SoakResult | undefined, pending: Map<ScenarioName, string>, crypto?: CryptoResult): TargetCheck[] {
  const by = new Map(scenarios.map((s) => [s.name, s]));
  const checks: TargetCheck[] = [...ratioChecks(by), ...cpuChecks(by, crypto), ...cpuBoundChecks(by), proxyCheck(by, pending), ...soakChecks(soak)];
  // Listed ones in their order, then any other target, then what is reported only.
  const rank = (c: TargetCheck) => (ORDER.includes(c.id) ? ORDER.indexOf(c.id) : ORDER.length + (c.target === REPORTED ? 1 : 0));
  return checks.sort((x, y) => rank(x) - rank(y));
}

/** Issue 14's table in its order, then the earlier issues' rows that still hold; what is reported only comes last. */
const ORDER = [
  'cc/peer',
  'exchange/floor',
  'exchange-p99/floor-p99',
  'exchange-cpu/crypto',
  'launch/raw',
  'proxy-p50-added',
  'pg/sqlite',
  'soak-rss',
  'soak-audit',
  'durable/exchange',
  'pg-p99/sqlite-p99',
];

const REPORTED = 'reported only';
const bound = (op: '>=' | '<=', limit: number) => `${op === '>=' ? '≥' : '≤'} ${limit.toFixed(2)}`;
const range = (values: number[]) => (values.length ? `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}` : '');

function ratioChecks(by: Map<ScenarioName, ScenarioResult>): TargetCheck[] {
  return RATIOS.map((r) => {
    const a = by.get(r.a);
    const b = by.get(r.b);
    const target = r.op && r.limit !== undefined ? bound(r.op, r.limit) : REPORTED;
    const base = { id: r.id, label: r.label, target, ...(r.note ? { note: r.note } : {}) };
    if (!a || !b) return { ...base, shown: 'not run', note: `needs ${r.a} and ${r.b}` };
    const value = a.median[r.metric] / b.median[r.metric];
    const perRound = pairRounds(a.rounds, b.rounds).map(([x, y]) => x[r.metric] / y[r.metric]);
    return {
      ...base,
      value,
      shown: value.toFixed(2),
      spread: range(perRound),
      ...(r.op && r.limit !== undefined ? { met: r.op === '>=' ? value >= r.limit : value <= r.limit } : {}),
    };
  });
}

/** The server's CPU per answer (all its threads) over the microbenchmark's cost of one ES256 verify + one sign. */
function cpuChecks(by: Map<ScenarioName, ScenarioResult>, crypto: CryptoResult | undefined): TargetCheck[] {
  return CPU_ROWS.map(({ name, label, limit }) => {
    const base = { id: `${name}-cpu/crypto`, label, target: limit === undefined ? REPORTED : bound('<=', limit) };
    const sc = by.get(name);
    if (!sc || !crypto) return { ...base, shown: 'not run', note: `needs ${name} and the crypto microbenchmark (run with exchange)` };
    const value = sc.median.cpuUsPerAnswer / crypto.pairUs;
    return {
      ...base,
      value,
      shown: `${value.toFixed(2)} (${sc.median.cpuUsPerAnswer.toFixed(0)} µs / ${crypto.pairUs.toFixed(0)} µs)`,
      spread: range(sc.rounds.map((r) => r.cpuUsPerAnswer / crypto.pairUs)),
      ...(limit === undefined ? {} : { met: value <= limit }),
    };
  });
}

function cpuBoundChecks(by: Map<ScenarioName, ScenarioResult>): TargetCheck[] {
  return CPU_BOUND_ROWS.map(({ a, b }) => {
    const base = { id: `${a}/${b}-cpu-bound`, label: `${a} / ${b} (req/s) if both used every core: ${b}'s CPU per answer / ${a}'s, server + load generator`, target: REPORTED };
    const x = by.get(a);
    const y = by.get(b);
    if (!x || !y) return { ...base, shown: 'not run', note: `needs ${a} and ${b}` };
    const value = y.median.machineCpuUsPerAnswer / x.median.machineCpuUsPerAnswer;
    const perRound = pairRounds(x.rounds, y.rounds).map(([p, q]) => q.machineCpuUsPerAnswer / p.machineCpuUsPerAnswer);
    return { ...base, value, shown: `${value.toFixed(2)} (${y.median.machineCpuUsPerAnswer.toFixed(0)} µs / ${x.median.machineCpuUsPerAnswer.toFixed(0)} µs)`, spread: range(perRound) };
  });
}

const PROXY_LIMIT_MS = 0.5;

function proxyCheck(by: Map<ScenarioName, ScenarioResult>, pending: Map<ScenarioName, string>): TargetCheck {
  const base = { id: 'proxy-p50-added', label: 'proxy p50 added latency', target: `≤ ${PROXY_LIMIT_MS} ms` };
  const proxy = by.get('proxy');
  const direct = by.get('direct');
  if (!proxy || !direct) return { ...base, shown: 'pending', note: pending.get('proxy') ?? 'needs proxy and direct' };
  const added = proxy.median.p50Ms - direct.median.p50Ms;
  const perRound = pairRounds(proxy.rounds, direct.rounds).map(([x, y]) => x.p50Ms - y.p50Ms);
  return { ...base, value: added, shown: `${added.toFixed(2)} ms`, spread: perRound.length ? `${range(perRound)} ms` : '', met: added <= PROXY_LIMIT_MS };
}

function soakChecks(soak: SoakResult | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (soak) {
    checks.push({
      id: 'soak-rss',
      label: `soak RSS growth over ${soak.done.toLocaleString('en-US')} exchanges`,
      target: '≤ 50 MB',
      value: soak.rssGrowthMb,
      shown: `${soak.rssGrowthMb.toFixed(1)} MB`,
      met: soak.rssGrowthMb <= 50,
      ...(soak.complete ? {} : { note: `stopped at the time cap: ${soak.done.toLocaleString('en-US')} of ${soak.target.toLocaleString('en-US')} exchanges` }),
    });
    checks.push({
      id: 'soak-audit',
      label: 'soak audit rows == granted',
      target: 'equal',
      shown: `${soak.auditGranted.toLocaleString('en-US')} rows / ${soak.granted.toLocaleString('en-US')} granted`,
      met: soak.auditMatches,
    });
  } else {
    checks.push({ id: 'soak-rss', label: 'soak RSS growth', target: '≤ 50 MB', shown: 'not run' });
    checks.push({ id: 'soak-audit', label: 'soak audit rows == granted', target: 'equal', shown: 'not run' });
  }
  return checks;
}

/** Round i of one scenario with round i of another (same rotation cycle). */
function pairRounds(a: RoundResult[], b: RoundResult[]): [RoundResult, RoundResult][] {
  return a.slice(0, Math.min(a.length, b.length)).map((r, i) => [r, b[i]!]);
}
