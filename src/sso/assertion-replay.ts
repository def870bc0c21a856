import { sql } from 'drizzle-orm';
import { sha256b64u } from '../core/hash.js';
import type { GroupCommitter } from '../db/group-commit.js';
import type { Db } from '../db/client.js';
import { sqliteOf } from '../db/tx.js';
import { samlAssertions } from '../db/schema/saml-assertions.js';
import type { AssertionReplayStore } from '../saml/types.js';

/** The row key of an assertion: an assertion ID is the issuing IdP's to choose, so it is unique per IdP only. */
export const assertionReplayKey = (idpEntityId: string, assertionId: string): string => sha256b64u(`${idpEntityId}\n${assertionId}`);

/**
 * The persistent assertion-ID replay store (SAML Profiles §4.1.4.5), shared by every instance on the database.
 * One INSERT … ON CONFLICT DO NOTHING: the check and the mark are a single statement, committed (with the
 * other writes of the moment: group commit) before the login goes on.
 */
export function createAssertionReplayStore(db: Db, committer: GroupCommitter): AssertionReplayStore {
  const insert = db
    .insert(samlAssertions)
    .values({ key: sql.placeholder('key'), idpEntityId: sql.placeholder('idpEntityId'), expiresAt: sql.placeholder('expiresAt') })
    .onConflictDoNothing()
    .prepare();
  return {
    rememberOnce(idpEntityId, assertionId, expiresAt) {
      const key = assertionReplayKey(idpEntityId, assertionId);
      return committer.commit(async (tx) => {
        sqliteOf(tx);
        return insert.run({ key, idpEntityId, expiresAt }).changes === 1;
      });
    },
  };
}
