// The targets of issues 6 and 12 (and ratios reported without one), each computed from the scenarios of the same
// run: the ratio of the medians, and the spread of the per-round ratios (round i of A against round i of B,
// measured seconds apart).
import type { RoundResult, ScenarioResult } from '../harness/rotation.js';
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
  { id: 'exchange/floor', label: 'exchange / floor (req/s)', a: 'exchange', b: 'floor', metric: 'rps', op: '>=', limit: 0.8 },
  { id: 'exchange/peer', label: 'exchange / peer (req/s)', a: 'exchange', b: 'peer', metric: 'rps', op: '>=', limit: 1.0 },
  { id: 'exchange-p99/floor-p99', label: 'exchange p99 / floor p99', a: 'exchange', b: 'floor', metric: 'p99Ms', op: '<=', limit: 2.0 },
  { id: 'durable/exchange', label: 'durable exchange (FULL) / exchange (NORMAL) (req/s)', a: 'exchange-durable', b: 'exchange', metric: 'rps', op: '>=', limit: 0.8 },
  { id: 'launch/raw', label: 'launch / raw node-saml validate (req/s)', a: 'launch', b: 'saml-raw', metric: 'rps', op: '>=', limit: 0.7 },
  // Issue 12: PostgreSQL against SQLite, both durable (synchronous_commit on, synchronous FULL).
  { id: 'pg/sqlite', label: 'exchange on PostgreSQL / on SQLite FULL (req/s)', a: 'exchange-pg', b: 'exchange-durable', metric: 'rps', op: '>=', limit: 0.6 },
  { id: 'pg-p99/sqlite-p99', label: 'exchange p99 on PostgreSQL / on SQLite FULL', a: 'exchange-pg', b: 'exchange-durable', metric: 'p99Ms', op: '<=', limit: 2.0 },
  { id: 'pg-2/pg', label: 'two instances behind HAProxy / one instance direct (req/s)', a: 'exchange-pg-2', b: 'exchange-pg', metric: 'rps' },
  { id: 'pg-2/pg-lb', label: 'two instances / one instance, both behind HAProxy (req/s)', a: 'exchange-pg-2', b: 'exchange-pg-lb', metric: 'rps' },
  { id: 'pg-lb/pg', label: 'one instance behind HAProxy / direct (req/s): the balancer\'s cost', a: 'exchange-pg-lb', b: 'exchange-pg', metric: 'rps' },
];

export function evaluateTargets(scenarios: ScenarioResult[], soak: SoakResult | undefined, pending: Map<ScenarioName, string>): TargetCheck[] {
  const by = new Map(scenarios.map((s) => [s.name, s]));
  const checks: TargetCheck[] = RATIOS.map((r) => {
    const a = by.get(r.a);
    const b = by.get(r.b);
    const target = r.op && r.limit !== undefined ? `${r.op === '>=' ? '≥' : '≤'} ${r.limit.toFixed(2)}` : 'reported only';
    const base = { id: r.id, label: r.label, target, ...(r.note ? { note: r.note } : {}) };
    if (!a || !b) return { ...base, shown: 'not run', note: `needs ${r.a} and ${r.b}` };
    const value = a.median[r.metric] / b.median[r.metric];
    const perRound = pairRounds(a.rounds, b.rounds).map(([x, y]) => x[r.metric] / y[r.metric]);
    return {
      ...base,
      value,
      shown: value.toFixed(2),
      spread: perRound.length ? `${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}` : '',
      ...(r.op && r.limit !== undefined ? { met: r.op === '>=' ? value >= r.limit : value <= r.limit } : {}),
    };
  });

  const proxyPending = pending.get('proxy');
  const proxy = by.get('proxy');
  const direct = by.get('direct');
  if (proxy && direct) {
    const added = proxy.median.p50Ms - direct.median.p50Ms;
    checks.push({ id: 'proxy-p50-added', label: 'proxy p50 added latency', target: '≤ 1 ms', value: added, shown: `${added.toFixed(2)} ms`, met: added <= 1 });
  } else {
    checks.push({ id: 'proxy-p50-added', label: 'proxy p50 added latency', target: '≤ 1 ms', shown: 'pending', note: proxyPending ?? 'needs proxy and direct' });
  }

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
