import { expect, it } from 'vitest';
import { pgHarness } from './pg/harness.contract.js';
import { purgeExpiredPg } from './pg/purge-expired.js';
import type { GroupCommitter } from './group-commit.js';
import { pruneExpired, purgeExpiredSqlite, type PurgeExpired } from './prune-expired.js';
import { revokedTokens } from './schema/revoked-tokens.js';
import { samlRequests } from './schema/saml-requests.js';
import { subjectCutoffs } from './schema/subject-cutoffs.js';
import { usedClientAssertions } from './schema/used-client-assertions.js';
import * as pgSchema from './schema-pg/index.js';
import { sqliteHarness, type MakeStore } from './sqlite-harness.contract.js';

/** One engine's purge, and how to put and list rows there. */
interface Pruning {
  committer: GroupCommitter;
  purge: PurgeExpired;
  seed(revoked: { jti: string; expiresAt: Date }[], usedAssertion: { key: string; expiresAt: Date }, cutoffs: { subject: string; expiresAt: Date }[]): Promise<void>;
  revokedJtis(): Promise<string[]>;
  seedLogins(logins: { id: string; expiresAt: Date }[]): Promise<void>;
  loginIds(): Promise<string[]>;
  cutOffSubjects(): Promise<string[]>;
}

const login = (id: string, expiresAt: Date) => ({ id, idpId: 'campus', bindingHash: 'b', purpose: 'launch', target: 's', startRequestId: 'r', createdAt: expiresAt, expiresAt });

function describePruning(engine: string, make: MakeStore<Pruning>): void {
  it(`removes only rows whose values have expired, subject cutoffs included (${engine})`, async () => {
    const h = await make();
    try {
      const past = new Date(h.clock.now().getTime() - 1_000);
      const future = new Date(h.clock.now().getTime() + 1_000);
      await h.store.seed([{ jti: 'old', expiresAt: past }, { jti: 'live', expiresAt: future }], { key: 'k', expiresAt: past }, [{ subject: 'gone', expiresAt: past }, { subject: 'kept', expiresAt: future }]);
      expect(await pruneExpired(h.store.committer, h.clock, h.store.purge)).toBe(3);
      expect(await h.store.revokedJtis()).toEqual(['live']);
      expect(await h.store.cutOffSubjects()).toEqual(['kept']);
    } finally {
      await h.close();
    }
  });

  it(`keeps pending logins an hour past their expiry, to tell a late answer apart (${engine})`, async () => {
    const h = await make();
    try {
      const ago = (ms: number) => new Date(h.clock.now().getTime() - ms);
      await h.store.seedLogins([{ id: 'late', expiresAt: ago(3_600_000) }, { id: 'gone', expiresAt: ago(3_600_001) }]);
      expect(await pruneExpired(h.store.committer, h.clock, h.store.purge)).toBe(1);
      expect(await h.store.loginIds()).toEqual(['late']);
    } finally {
      await h.close();
    }
  });
}

describePruning(
  'SQLite',
  sqliteHarness((db, clock, committer) => ({
    committer,
    purge: purgeExpiredSqlite,
    async seed(revoked, usedAssertion, cutoffs) {
      db.insert(revokedTokens).values(revoked.map((r) => ({ ...r, clientId: 'c', revokedAt: clock.now() }))).run();
      db.insert(usedClientAssertions).values({ ...usedAssertion, clientId: 'c' }).run();
      db.insert(subjectCutoffs).values(cutoffs.map((c) => ({ ...c, cutoff: clock.now() }))).run();
    },
    revokedJtis: async () => db.select().from(revokedTokens).all().map((r) => r.jti),
    seedLogins: async (logins) => void db.insert(samlRequests).values(logins.map((l) => login(l.id, l.expiresAt))).run(),
    loginIds: async () => db.select().from(samlRequests).all().map((r) => r.id),
    cutOffSubjects: async () => db.select().from(subjectCutoffs).all().map((r) => r.subject),
  })),
);

describePruning(
  'PostgreSQL',
  pgHarness((db, clock, committer) => ({
    committer,
    purge: purgeExpiredPg,
    async seed(revoked, usedAssertion, cutoffs) {
      await db.insert(pgSchema.revokedTokens).values(revoked.map((r) => ({ ...r, clientId: 'c', revokedAt: clock.now() })));
      await db.insert(pgSchema.usedClientAssertions).values({ ...usedAssertion, clientId: 'c' });
      await db.insert(pgSchema.subjectCutoffs).values(cutoffs.map((c) => ({ ...c, cutoff: clock.now() })));
    },
    revokedJtis: async () => (await db.select().from(pgSchema.revokedTokens)).map((r) => r.jti),
    seedLogins: async (logins) => void (await db.insert(pgSchema.samlRequests).values(logins.map((l) => login(l.id, l.expiresAt)))),
    loginIds: async () => (await db.select().from(pgSchema.samlRequests)).map((r) => r.id),
    cutOffSubjects: async () => (await db.select().from(pgSchema.subjectCutoffs)).map((r) => r.subject),
  })),
);
