// Where the time goes: a fresh server of one scenario (exchange, launch), warmed up, then CPU-profiled through
// the inspector for exactly one round of the load the rotation sends, start-up and warm-up excluded. The
// .cpuprofile is kept (open it in Chrome DevTools or speedscope) and summarized by area and by function.
import { join } from 'node:path';
import { runLoad, type LoadResult } from '../harness/load.js';
import { summarizeProfile, type ProfileSummary } from '../report/profile.js';
import type { Scenario, ScenarioName } from '../scenarios/types.js';

export interface ProfileResult {
  scenario: ScenarioName;
  file: string;
  load: LoadResult;
  summary: ProfileSummary;
}

export async function profileScenario(
  scenario: Scenario,
  s: { durationSeconds: number; warmupSeconds: number; connections: number; outDir: string; stamp: string },
): Promise<ProfileResult> {
  await scenario.start();
  try {
    const run = async (label: string, durationSeconds: number, around?: { before(): Promise<void>; after(): Promise<void> }) => {
      const round = { label, measured: label !== 'warm-up', durationSeconds };
      const load = await scenario.load(round);
      await around?.before();
      const result = await runLoad({ ...load, connections: load.connections ?? s.connections, durationSeconds });
      await around?.after();
      scenario.observe?.(round, result.rps);
      return result;
    };
    if (s.warmupSeconds > 0) await run('warm-up', s.warmupSeconds);
    const file = join(s.outDir, `${scenario.name}-${s.stamp}.cpuprofile`);
    const child = scenario.servers()[0]!;
    const load = await run('profiled', s.durationSeconds, { before: () => child.profileStart(), after: () => child.profileStop(file) });
    return { scenario: scenario.name, file, load, summary: summarizeProfile(file) };
  } finally {
    await scenario.stop();
  }
}
