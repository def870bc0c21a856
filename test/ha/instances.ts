import { and, asc, eq } from 'drizzle-orm';
import { createTestSchema } from '../../src/db/pg/harness.contract.js';
import { auditLog } from '../../src/db/schema-pg/audit-log.js';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { newClientKey, SECRETS, startTestService, T0, type TestService, type TestServiceOptions } from '../helpers/service.js';

/**
 * Several whole services on one PostgreSQL schema, as instances behind a load balancer: the same config, master
 * key and client keys, each with its own pool, caches, group committer and injected clock (all set to `startAt`).
 */
export interface Instances {
  all: TestService[];
  /** Advances every instance's clock together (they share one wall clock in production). */
  advance(ms: number): void;
  stop(): Promise<void>;
}

export async function startInstances(count: number, opts: Pick<TestServiceOptions, 'overrides' | 'env' | 'startAt'> = {}): Promise<Instances> {
  const postgres = await createTestSchema();
  const env = opts.env ?? { TEST_MASTER_KEY: generateMasterKeyText(), ALPHA_SECRET: SECRETS.alpha, BETA_SECRET: SECRETS.beta };
  const gamma = await newClientKey();
  const startAt = new Date(opts.startAt ?? T0);
  const all: TestService[] = [];
  try {
    for (let i = 0; i < count; i++) all.push(await startTestService({ ...opts, postgres, env, gamma, startAt }));
  } catch (err) {
    await Promise.all(all.map((s) => s.stop()));
    await postgres.drop();
    throw err;
  }
  return {
    all,
    advance: (ms) => all.forEach((s) => s.clock.advance(ms)),
    async stop() {
      await Promise.all(all.map((s) => s.stop()));
      await postgres.drop();
    },
  };
}

/** The shared audit log's rows of one event, oldest first (read through any instance's pool). */
export function auditRowsOf(s: TestService, event: string, outcome?: 'success' | 'refused' | 'error') {
  const where = outcome ? and(eq(auditLog.event, event), eq(auditLog.outcome, outcome)) : eq(auditLog.event, event);
  return s.engine.postgres!.db.select().from(auditLog).where(where).orderBy(asc(auditLog.id));
}
