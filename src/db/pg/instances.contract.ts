import type { GroupCommitter } from '../group-commit.js';
import { openPgDatabase, type PgDatabase, type PgDb } from './client.js';
import { createPgGroupCommitter } from './group-commit.js';
import { createTestSchema } from './harness.contract.js';

export interface PgInstance {
  db: PgDb;
  committer: GroupCommitter;
}

/**
 * Several instances of the service on one fresh schema, each with its own pool and group committer, as separate
 * processes behind a load balancer would be: what "single use across instances" is tested against.
 */
export async function openPgInstances(count: number, { maxBatch }: { maxBatch?: number } = {}): Promise<{ instances: PgInstance[]; close(): Promise<void> }> {
  const target = await createTestSchema();
  const databases: PgDatabase[] = [];
  for (let i = 0; i < count; i++) databases.push(await openPgDatabase({ url: target.url, schema: target.schema, poolSize: 2 }));
  return {
    instances: databases.map((database) => ({ db: database.db, committer: createPgGroupCommitter(database, maxBatch ? { maxBatch } : {}) })),
    async close() {
      await Promise.all(databases.map((d) => d.close()));
      await target.drop();
    },
  };
}
