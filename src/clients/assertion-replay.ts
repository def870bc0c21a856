import type { Tx } from '../db/client.js';
import { usedClientAssertions } from '../db/schema/used-client-assertions.js';
import type { OneTimeAssertion } from './authenticate.js';

/** Marks a client assertion `jti` used; false when it already was. One statement: no check-then-act window. */
export function consumeClientAssertion(tx: Tx, a: OneTimeAssertion): boolean {
  return tx.insert(usedClientAssertions).values(a).onConflictDoNothing().run().changes === 1;
}
