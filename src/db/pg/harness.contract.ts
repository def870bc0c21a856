import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { CONTRACT_START, type MakeStore, type StoreHarness } from '../sqlite-harness.contract.js';
import type { GroupCommitter } from '../group-commit.js';
import { openPgDatabase, type PgDb } from './client.js';
import { createPgGroupCommitter } from './group-commit.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This test run's own database on the real PostgreSQL server (test/support/pg-global-setup.ts). */
    pgUrl: string;
  }
}

/** A fresh schema in this run's database, and how to drop it: each harness (or multi-instance test) gets one. */
export async function createTestSchema(): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const url = inject('pgUrl');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  return {
    url,
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** The PostgreSQL engine for a contract suite: a fresh schema on the real server, migrated, and its group committer. */
export function pgHarness<S>(build: (db: PgDb, clock: StoreHarness<S>['clock'], committer: GroupCommitter) => S): MakeStore<S> {
  return async () => {
    const target = await createTestSchema();
    const database = await openPgDatabase({ url: target.url, schema: target.schema, poolSize: 4 });
    const committer = createPgGroupCommitter(database);
    const clock = fixedClock(CONTRACT_START);
    return {
      store: build(database.db, clock, committer),
      commit: committer.commit,
      clock,
      async close() {
        await database.close();
        await target.drop();
      },
    };
  };
}
