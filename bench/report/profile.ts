// Where a server child's CPU time goes, from a V8 .cpuprofile (node --cpu-prof): self time by area (our
// modules, each dependency, node internals, GC) and by function, and inclusive time of our own functions
// (what a call in src/ costs with everything beneath it). Idle time is left out of every percentage.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  /** Share of busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  byArea: ProfileRow[];
  selfByFunction: ProfileRow[];
  /** Functions under src/, with everything they call. */
  inclusiveOurs: ProfileRow[];
}

const IDLE = '(idle)';

export function summarizeProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const area = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  // timeDeltas[i] is the time since the previous sample; it is charged to the sample that ends it.
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === IDLE) {
      idleUs += us;
      return;
    }
    busyUs += us;
    // A native frame (a C++ binding: SQLite's step, a socket write, a crypto job) is named after its JS caller.
    const caller = isNative(node) ? jsCaller(id) : undefined;
    add(area, caller ? `${areaOf(caller)} (native)` : areaOf(node), us);
    add(self, caller ? `${node.callFrame.functionName} [native] ← ${label(caller)}` : label(node), us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (!isOurs(n.callFrame.url)) continue;
      const key = label(n);
      if (seen.has(key)) continue; // recursion counts once
      seen.add(key);
      add(inclusive, key, us);
    }
  });
  function jsCaller(id: number): ProfileNode | undefined {
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (n.callFrame.url) return n;
    }
    return undefined;
  }
  const rows = (m: Map<string, number>, n: number): ProfileRow[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busyUs ? (100 * us) / busyUs : 0 }));
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, byArea: rows(area, top), selfByFunction: rows(self, top), inclusiveOurs: rows(inclusive, top) };
}

function add(m: Map<string, number>, key: string, us: number): void {
  m.set(key, (m.get(key) ?? 0) + us);
}

/** No script, and not one of V8's pseudo-frames like (garbage collector) or (program). */
function isNative(node: ProfileNode): boolean {
  return !node.callFrame.url && !node.callFrame.functionName.startsWith('(') && node.callFrame.functionName !== '';
}

function isOurs(url: string): boolean {
  return url.includes('/src/') && !url.includes('/node_modules/');
}

/** `src/audit/audit-log.ts`, `better-sqlite3`, `node:internal`, `(garbage collector)` … */
function areaOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const ours = /\/(src|bench|test)\/(.+)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  // tsx compiles our TypeScript without a line map the profiler can use: name the file only.
  const where = !url ? '' : isOurs(url) ? shortUrl(url) : `${shortUrl(url)}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where ? ` (${where})` : ''}`;
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.+)$/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/((?:src|bench|test)\/.+)$/.exec(url);
  if (ours) return ours[1]!;
  return url.replace(/^file:\/\//, '');
}
