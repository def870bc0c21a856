import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeClientAssertionStoreContract } from './assertion-replay.contract.js';
import { createClientAssertionStore } from './assertion-replay.js';

describeClientAssertionStoreContract('SQLite', sqliteHarness((db) => createClientAssertionStore(db)));
