import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeUpstreamAuthStateStoreContract } from './auth-states.contract.js';
import { createUpstreamAuthStateStore } from './auth-states.js';

describeUpstreamAuthStateStoreContract('SQLite', sqliteHarness((db) => createUpstreamAuthStateStore(db)));
