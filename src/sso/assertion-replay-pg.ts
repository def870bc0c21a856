import type { GroupCommitter } from '../db/group-commit.js';
import { samlAssertions } from '../db/schema-pg/saml-assertions.js';
import { pgOf } from '../db/tx.js';
import type { AssertionReplayStore } from '../saml/types.js';
import { assertionReplayKey } from './assertion-replay.js';

/**
 * The assertion-ID replay store on PostgreSQL (contract: saml/replay-store.contract.ts): one INSERT … ON CONFLICT
 * DO NOTHING RETURNING, so the check and the mark are one statement for every instance on the database. It writes
 * only through the committer's transactions; `db` is taken so both engines are built alike.
 */
export function createPgAssertionReplayStore(committer: GroupCommitter): AssertionReplayStore {
  return {
    rememberOnce(idpEntityId, assertionId, expiresAt) {
      const key = assertionReplayKey(idpEntityId, assertionId);
      return committer.commit(async (tx) => {
        const inserted = await pgOf(tx).insert(samlAssertions).values({ key, idpEntityId, expiresAt }).onConflictDoNothing().returning({ key: samlAssertions.key });
        return inserted.length === 1;
      });
    },
  };
}
