import { and, asc, count, desc, getTableColumns, gt, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { DatabaseError, type AppDatabase } from '../client.js';
import * as lite from '../schema/index.js';
import * as pgs from '../schema-pg/index.js';
import type { PgDatabase, PgDb } from './client.js';
import { WRITE_LOCK } from './group-commit.js';

/**
 * One table to move: its SQLite and PostgreSQL twins (same table and column names, same JS property names, checked
 * by schema-parity.test.ts), the key it is paged by, and for one-time values the expiry that says one still counts.
 */
interface TablePair {
  from: SQLiteTable;
  to: PgTable;
  key: SQLiteColumn;
  expiresAt?: SQLiteColumn;
}

const TABLES: TablePair[] = [
  { from: lite.auditLog, to: pgs.auditLog, key: lite.auditLog.id },
  { from: lite.auditAnchor, to: pgs.auditAnchor, key: lite.auditAnchor.id },
  { from: lite.auditCheckpoints, to: pgs.auditCheckpoints, key: lite.auditCheckpoints.id },
  { from: lite.signingKeys, to: pgs.signingKeys, key: lite.signingKeys.kid },
  { from: lite.serviceSecrets, to: pgs.serviceSecrets, key: lite.serviceSecrets.name },
  { from: lite.upstreamConnections, to: pgs.upstreamConnections, key: lite.upstreamConnections.upstreamId },
  { from: lite.revokedTokens, to: pgs.revokedTokens, key: lite.revokedTokens.jti, expiresAt: lite.revokedTokens.expiresAt },
  { from: lite.subjectCutoffs, to: pgs.subjectCutoffs, key: lite.subjectCutoffs.subject, expiresAt: lite.subjectCutoffs.expiresAt },
  { from: lite.adminSessions, to: pgs.adminSessions, key: lite.adminSessions.idHash, expiresAt: lite.adminSessions.expiresAt },
  { from: lite.launchCodes, to: pgs.launchCodes, key: lite.launchCodes.codeHash, expiresAt: lite.launchCodes.expiresAt },
  { from: lite.samlRequests, to: pgs.samlRequests, key: lite.samlRequests.id, expiresAt: lite.samlRequests.expiresAt },
  { from: lite.samlAssertions, to: pgs.samlAssertions, key: lite.samlAssertions.key, expiresAt: lite.samlAssertions.expiresAt },
  { from: lite.usedClientAssertions, to: pgs.usedClientAssertions, key: lite.usedClientAssertions.key, expiresAt: lite.usedClientAssertions.expiresAt },
  { from: lite.upstreamAuthStates, to: pgs.upstreamAuthStates, key: lite.upstreamAuthStates.stateHash, expiresAt: lite.upstreamAuthStates.expiresAt },
];

/** Rows per INSERT: the widest table (17 columns) stays far below PostgreSQL's 65,535 parameters per statement. */
const PAGE = 1_000;

export interface CopyReport {
  /** Rows copied per table name. */
  tables: Record<string, number>;
  audit: { rows: number; headId: number | null; headHash: string | null };
}

type Row = Record<string, unknown>;

/**
 * Copies a SQLite deployment into an empty, migrated PostgreSQL schema, in one PostgreSQL transaction: every table
 * as it is (audit ids, hashes and sealed values unchanged, so the chain verifies and the same master key opens the
 * secrets), one-time values only while still valid at `now`. Rows go through drizzle on both sides, so timestamps
 * (epoch ms in SQLite, timestamptz in PostgreSQL) round-trip as Dates; every table is read a page at a time by its
 * key from one SQLite read snapshot. Refuses a target that holds any row; the whole copy rolls back on any error.
 */
export async function copySqliteToPg(source: AppDatabase, target: PgDatabase, now: Date): Promise<CopyReport> {
  const tables: Record<string, number> = {};
  // One read transaction: every page comes from the same snapshot even if something writes the file meanwhile.
  source.sqlite.exec('BEGIN');
  try {
    return await target.db.transaction(async (tx) => {
      // Under the instances' write lock: no instance already running on the target writes while we check and fill.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
      await refuseNonEmpty(tx);
      for (const pair of TABLES) tables[getTableConfig(pair.from).name] = await copyTable(source, tx, pair, now);
      // Checkpoint ids were given explicitly: the next one the service makes must come after them.
      await tx.execute(sql`SELECT setval(pg_get_serial_sequence('audit_checkpoints', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM audit_checkpoints`);
      const audit = auditHead(source);
      await refuseMismatch(tx, audit);
      return { tables, audit };
    });
  } finally {
    source.sqlite.exec('COMMIT');
  }
}

async function copyTable(source: AppDatabase, tx: PgDb, pair: TablePair, now: Date): Promise<number> {
  const keyProperty = Object.entries(getTableColumns(pair.from)).find(([, column]) => column === pair.key)![0];
  let copied = 0;
  let last: unknown;
  for (;;) {
    const conditions: (SQL | undefined)[] = [last === undefined ? undefined : gt(pair.key, last), pair.expiresAt ? gt(pair.expiresAt, now) : undefined];
    const rows = source.db.select().from(pair.from).where(and(...conditions)).orderBy(asc(pair.key)).limit(PAGE).all() as Row[];
    if (rows.length === 0) return copied;
    // The twins share JS property names and value kinds (Dates for timestamps): a row goes over as it is.
    await tx.insert(pair.to).values(rows as never);
    copied += rows.length;
    // drizzle rows are keyed by property name, not by column name.
    last = rows.at(-1)![keyProperty];
  }
}

async function refuseNonEmpty(tx: PgDb): Promise<void> {
  const filled: string[] = [];
  for (const pair of TABLES) {
    const rows = await tx.select({ one: sql`1` }).from(pair.to).limit(1);
    if (rows.length > 0) filled.push(getTableConfig(pair.from).name);
  }
  if (filled.length > 0) throw new DatabaseError(`the target already holds campus-sts data (${filled.join(', ')}); db copy fills an empty database only`);
}

function auditHead(source: AppDatabase): CopyReport['audit'] {
  const rows = source.db.select({ n: count() }).from(lite.auditLog).get()!.n;
  const head = source.db.select({ id: lite.auditLog.id, hash: lite.auditLog.hash }).from(lite.auditLog).orderBy(desc(lite.auditLog.id)).limit(1).get();
  return { rows, headId: head?.id ?? null, headHash: head?.hash ?? null };
}

/** A last look before COMMIT: the copy holds as many audit rows as the source, ending in the same hash. */
async function refuseMismatch(tx: PgDb, expected: CopyReport['audit']): Promise<void> {
  const [total] = await tx.select({ n: count() }).from(pgs.auditLog);
  const [head] = await tx.select({ id: pgs.auditLog.id, hash: pgs.auditLog.hash }).from(pgs.auditLog).orderBy(desc(pgs.auditLog.id)).limit(1);
  if (total!.n !== expected.rows || (head?.hash ?? null) !== expected.headHash) {
    throw new DatabaseError(`the copied audit log differs from the source (${total!.n} rows ending ${head?.hash ?? 'nowhere'}, expected ${expected.rows} ending ${expected.headHash ?? 'nowhere'}); nothing was copied`);
  }
}
