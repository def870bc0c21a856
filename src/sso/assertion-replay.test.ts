import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeAssertionReplayStoreContract } from '../saml/replay-store.contract.js';
import { createAssertionReplayStore } from './assertion-replay.js';

describeAssertionReplayStoreContract('SQLite', sqliteHarness((db, _clock, committer) => createAssertionReplayStore(db, committer)));
