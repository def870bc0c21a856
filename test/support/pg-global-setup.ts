import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

/** The server the tests use: the machine's PostgreSQL (`.ci/run` starts it when it is not running). */
export const PG_ADMIN_URL = process.env.CAMPUS_STS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * One database per test run, dropped at the end: every PostgreSQL test makes its own schema inside it, so runs on
 * one server (and files of one run) never see each other's rows.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = `campus_sts_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`the tests need PostgreSQL at ${new URL(PG_ADMIN_URL).host} (${(err as Error).message}); start it: pg_ctlcluster --skip-systemctl-redirect 15 main start`);
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  project.provide('pgUrl', url.toString());
  return async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
}
