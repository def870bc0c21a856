// Stand-in AssertionReplayStore until src/db/stores/saml-assertions.ts (createAssertionReplayStore(db))
// exists; same contract: atomic "insert if absent", false when the (IdP, assertion ID) was seen.
import type { AssertionReplayStore } from '../../../src/saml/types.js';

export class MemoryReplayStore implements AssertionReplayStore {
  readonly entries = new Map<string, Date>();

  async rememberOnce(idpEntityId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    const key = `${idpEntityId}\u0000${assertionId}`;
    if (this.entries.has(key)) return false;
    this.entries.set(key, expiresAt);
    return true;
  }
}
