import { sha256b64u } from '../core/hash.js';
import type { Db } from '../db/client.js';
import { samlAssertions } from '../db/schema/saml-assertions.js';
import type { AssertionReplayStore } from '../saml/types.js';

/**
 * The persistent assertion-ID replay store (SAML Profiles §4.1.4.5), shared by every instance on the database.
 * One INSERT … ON CONFLICT DO NOTHING: the check and the mark are a single statement.
 */
export function createAssertionReplayStore(db: Db): AssertionReplayStore {
  return {
    async rememberOnce(idpEntityId, assertionId, expiresAt) {
      const key = sha256b64u(`${idpEntityId}\n${assertionId}`);
      return db.insert(samlAssertions).values({ key, idpEntityId, expiresAt }).onConflictDoNothing().run().changes === 1;
    },
  };
}
