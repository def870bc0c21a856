// Asynchronous clean-up that must also run on Ctrl-C and at --max-minutes, which end the process without
// reaching the run's `finally` (a dropped bench database, for instance). Each task unregisters itself once done
// normally; whatever is left runs, bounded in time, before the process exits.

const tasks = new Set<() => Promise<void>>();

/** Registers `task` for an abnormal end; returns the function that unregisters it. */
export function atCleanup(task: () => Promise<void>): () => void {
  tasks.add(task);
  return () => void tasks.delete(task);
}

/** Runs every registered task (each at most once), giving them `timeoutMs` together. */
export async function runCleanups(timeoutMs = 10_000): Promise<void> {
  const pending = [...tasks];
  tasks.clear();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.all(pending.map((t) => t().catch(() => undefined))), limit]);
  clearTimeout(timer);
}
