// Warm-up, then rounds in rotation (A, B, C, A, B, C …): drift on a shared machine (another tenant, thermal,
// a background checkpoint) then hits every scenario alike, and the median of each scenario's rounds is
// reported. After every run the server's own count of answers is compared with the client's, and its CPU time
// over the run is divided by that count; so is the load generator's (this process's) CPU time over the answers it received.
import { delay } from './children.js';
import { runLoad, type LoadResult } from './load.js';
import type { Round, Scenario, ScenarioName } from '../scenarios/types.js';

export interface RotationSettings {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

export interface RoundResult extends LoadResult {
  /** 1, 2, …: the rotation cycle it belongs to. */
  round: number;
  /** Answers with the expected status that the server counted during the run. */
  serverOk: number;
  /** The servers' CPU time (user + system, all threads) over the run per answer counted, in µs. */
  cpuUsPerAnswer: number;
  /** The load generator's (this process's) CPU time over the run per answer it received, in µs. */
  loadCpuUsPerAnswer: number;
  /** Server and load generator together, per answer the server counted, in µs: what one answer costs the machine. */
  machineCpuUsPerAnswer: number;
}

export interface ScenarioResult {
  name: ScenarioName;
  description: string;
  rounds: RoundResult[];
  median: { rps: number; p50Ms: number; p99Ms: number; cpuUsPerAnswer: number; loadCpuUsPerAnswer: number; machineCpuUsPerAnswer: number };
  /** Anything that makes a number suspect: unexpected statuses, errors, a count mismatch. */
  problems: string[];
}

/** Pause between runs so one server's last answers and sockets are gone before the next starts. */
const SETTLE_MS = 300;

export async function runRotation(scenarios: Scenario[], s: RotationSettings, log: (m: string) => void): Promise<ScenarioResult[]> {
  const results = new Map<ScenarioName, ScenarioResult>(
    scenarios.map((sc) => [sc.name, { name: sc.name, description: sc.description, rounds: [], median: { rps: 0, p50Ms: 0, p99Ms: 0, cpuUsPerAnswer: 0, loadCpuUsPerAnswer: 0, machineCpuUsPerAnswer: 0 }, problems: [] }]),
  );
  const plan: Round[] = [
    ...(s.warmupSeconds > 0 ? [{ label: 'warm-up', measured: false, durationSeconds: s.warmupSeconds }] : []),
    ...Array.from({ length: s.rounds }, (_, i) => ({ label: `round ${i + 1}`, measured: true, durationSeconds: s.durationSeconds })),
  ];
  for (const round of plan) {
    for (const scenario of scenarios) {
      const r = await runOne(scenario, round, s.connections);
      scenario.observe?.(round, r.rps);
      log(`${round.label.padEnd(8)} ${scenario.name.padEnd(17)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms`);
      const result = results.get(scenario.name)!;
      result.problems.push(...problemsOf(round, r));
      if (round.measured) result.rounds.push({ ...r, round: result.rounds.length + 1 });
    }
  }
  for (const result of results.values()) {
    result.median = {
      rps: median(result.rounds.map((r) => r.rps)),
      p50Ms: median(result.rounds.map((r) => r.p50Ms)),
      p99Ms: median(result.rounds.map((r) => r.p99Ms)),
      cpuUsPerAnswer: median(result.rounds.map((r) => r.cpuUsPerAnswer)),
      loadCpuUsPerAnswer: median(result.rounds.map((r) => r.loadCpuUsPerAnswer)),
      machineCpuUsPerAnswer: median(result.rounds.map((r) => r.machineCpuUsPerAnswer)),
    };
  }
  return [...results.values()];
}

async function runOne(scenario: Scenario, round: Round, defaultConnections: number): Promise<RoundResult & { connections: number }> {
  const load = await scenario.load(round);
  const connections = load.connections ?? defaultConnections;
  const key = String(load.expectStatus);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  // Summed over the servers of the scenario (two instances behind a balancer).
  const sample = async () => {
    const servers = scenario.servers();
    const [statuses, cpu] = await Promise.all([Promise.all(servers.map((c) => c.statuses())), Promise.all(servers.map((c) => c.cpuMicros()))]);
    return { ok: sum(statuses.map((counts) => counts[key] ?? 0)), cpu: sum(cpu) };
  };
  const before = await sample();
  const loadCpu = process.cpuUsage();
  const r = await runLoad({ ...load, connections, durationSeconds: round.durationSeconds });
  const { user, system } = process.cpuUsage(loadCpu);
  await delay(SETTLE_MS);
  const after = await sample();
  const serverOk = after.ok - before.ok;
  const perAnswer = (micros: number, answers: number) => (answers > 0 ? micros / answers : 0);
  const serverCpu = after.cpu - before.cpu;
  return {
    ...r,
    round: 0,
    serverOk,
    cpuUsPerAnswer: perAnswer(serverCpu, serverOk),
    loadCpuUsPerAnswer: perAnswer(user + system, r.ok),
    machineCpuUsPerAnswer: perAnswer(serverCpu + user + system, serverOk),
    connections,
  };
}

function problemsOf(round: Round, r: RoundResult & { connections: number }): string[] {
  const { connections } = r;
  const out: string[] = [];
  const at = round.label;
  const unexpected = Object.entries(r.unexpected);
  if (unexpected.length) out.push(`${at}: unexpected statuses ${unexpected.map(([c, n]) => `${c}×${n}`).join(', ')}`);
  if (r.errors) out.push(`${at}: ${r.errors} connection errors (${r.timeouts} timeouts)`);
  // Requests in flight when the client stops are still answered by the server, so it may count a few more.
  if (r.serverOk < r.ok || r.serverOk > r.ok + connections) out.push(`${at}: client saw ${r.ok} expected answers, server sent ${r.serverOk}`);
  return out;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
