import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { openDatabase, type AppDatabase } from '../db/client.js';
import { createGroupCommitter } from '../db/group-commit.js';
import { auditLog } from '../db/schema/audit-log.js';
import { revokedTokens } from '../db/schema/revoked-tokens.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteOf, TxClosed, type Tx } from '../db/tx.js';
import { describeAuditLogStoreContract } from './audit-log.contract.js';
import { createAuditLog, type AuditLog } from './audit-log.js';
import { createPgAuditLog } from './audit-log-pg.js';
import { GENESIS_HASH, hashRow } from './chain.js';

describeAuditLogStoreContract('SQLite', sqliteHarness((db, clock, committer) => createAuditLog(db, clock, { committer })));
describeAuditLogStoreContract('PostgreSQL', pgHarness((db, clock, committer) => createPgAuditLog(db, clock, { committer })));

let database: AppDatabase;
let audit: AuditLog;
const clock = fixedClock('2026-11-23T10:00:00.000Z');
beforeEach(() => {
  database = openDatabase({ path: ':memory:' });
  audit = createAuditLog(database.db, clock, { committer: createGroupCommitter(database.db) });
});
afterEach(() => database.close());

const issued = (jti: string) => ({ event: 'token.issue' as const, outcome: 'success' as const, jti, data: { grant_type: 'client_credentials' } });
const rows = () => database.db.select().from(auditLog).all();

describe('the audit log under group commit', () => {
  it('chains the rows of changes committed together, in the order they were queued', async () => {
    await Promise.all(['a', 'b', 'c'].map((jti) => audit.commit((tx) => audit.append(tx, issued(jti)))));
    const all = rows();
    expect(all.map((r) => [r.id, r.jti])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect(all.map((r) => r.prevHash)).toEqual([GENESIS_HASH, all[0]!.hash, all[1]!.hash]);
    for (const r of all) expect(hashRow(r)).toBe(r.hash);
    expect(await audit.verify()).toEqual({ ok: true, rows: 3, lastId: 3, headHash: all[2]!.hash });
  });

  it('drops the rows and the change of a refused change, and chains the next one onto the last kept row', async () => {
    const outcomes = await Promise.allSettled([
      audit.commit((tx) => audit.append(tx, issued('kept-1'))),
      audit.commit(async (tx) => {
        sqliteOf(tx).insert(revokedTokens).values({ jti: 'x', clientId: 'c', revokedAt: new Date(0), expiresAt: new Date(1) }).run();
        await audit.append(tx, issued('rolled-back'));
        throw new Error('refused after writing');
      }),
      audit.commit((tx) => audit.append(tx, issued('kept-2'))),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('refused after writing'));
    const all = rows();
    expect(all.map((r) => [r.id, r.jti])).toEqual([[1, 'kept-1'], [2, 'kept-2']]);
    expect(all[1]!.prevHash).toBe(all[0]!.hash);
    expect(database.db.select().from(revokedTokens).all()).toEqual([]);
    expect(await audit.verify()).toMatchObject({ ok: true, rows: 2 });
  });

  it('writes nothing for an append outside a transaction of the committer (a fake or an ended Tx)', async () => {
    await expect(audit.append({} as Tx, issued('fake'))).rejects.toThrow(new TxClosed('not a transaction of the SQLite group committer'));
    const leaked = await audit.commit(async (tx) => tx);
    await expect(audit.append(leaked, issued('late'))).rejects.toThrow(TxClosed);
    expect(rows()).toEqual([]);
  });

  it('continues the same chain from a second committer on the connection (start-up and CLI writes)', async () => {
    await audit.commit((tx) => audit.append(tx, issued('grouped')));
    await createGroupCommitter(database.db).commit((tx) => audit.append(tx, issued('other')));
    await audit.commit((tx) => audit.append(tx, issued('grouped-again')));
    expect(rows().map((r) => [r.id, r.jti])).toEqual([[1, 'grouped'], [2, 'other'], [3, 'grouped-again']]);
    expect(await audit.verify()).toMatchObject({ ok: true, rows: 3 });
  });

  it('stores the time as epoch milliseconds and every column as given', async () => {
    const row = await audit.commit((tx) =>
      audit.append(tx, { event: 'token.issue', outcome: 'refused', requestId: 'r-1', clientId: 'alpha', subject: 's', audience: ['a', 'b'], scope: ['x', 'y'], reason: 'why', data: { grant_type: 'g', error: 'invalid_scope' } }),
    );
    expect(database.sqlite.prepare('SELECT at, audience, scope, data FROM audit_log WHERE id = 1').get()).toEqual({
      at: Date.parse('2026-11-23T10:00:00.000Z'),
      audience: 'a b',
      scope: 'x y',
      data: '{"grant_type":"g","error":"invalid_scope"}',
    });
    expect(rows()[0]).toEqual(row);
  });
});

describe('client-supplied fields at the audit boundary', () => {
  // Each cut keeps what fits beside the marker, e.g. 249 of 300 characters in a 256-character field.
  it('are cut with a marker, never refused for their length (the row is written, and verifies)', async () => {
    const long = (n: number) => 'v'.repeat(n);
    await audit.commit((tx) =>
      audit.append(tx, {
        event: 'token.issue',
        outcome: 'refused',
        clientId: long(300),
        subject: long(600),
        audience: Array.from({ length: 40 }, () => long(600)),
        scope: Array.from({ length: 130 }, (_, i) => `s${i}`),
        reason: long(2000),
        data: { grant_type: long(200), subject_token_type: long(200), actor: long(600), error: 'invalid_request' },
      }),
    );
    const row = rows()[0]!;
    expect(row.clientId).toBe(`${long(249)}…(+51)`);
    expect(row.subject).toBe(`${long(505)}…(+95)`);
    expect(row.reason).toBe(`${long(1016)}…(+984)`);
    const audience = row.audience!.split(' ');
    expect(audience).toHaveLength(32);
    expect(audience[0]).toBe(`${long(505)}…(+95)`);
    expect(audience[31]).toBe('…(+9)');
    const scope = row.scope!.split(' ');
    expect(scope).toHaveLength(128);
    expect(scope.slice(125)).toEqual(['s125', 's126', '…(+3)']);
    expect(JSON.parse(row.data!)).toEqual({
      grant_type: `${long(121)}…(+79)`,
      subject_token_type: `${long(121)}…(+79)`,
      actor: `${long(505)}…(+95)`,
      error: 'invalid_request',
    });
    expect(await audit.verify()).toMatchObject({ ok: true, rows: 1 });
  });

  it('still refuses an event of the wrong shape (fails closed)', async () => {
    await expect(audit.commit((tx) => audit.append(tx, { event: 'token.issue', outcome: 'refused', data: { grant_type: 'x', expires_in: 1.5 } }))).rejects.toThrow();
  });
});
