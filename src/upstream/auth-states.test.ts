import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeUpstreamAuthStateStoreContract } from './auth-states.contract.js';
import { createPgUpstreamAuthStateStore } from './auth-states-pg.js';
import { createUpstreamAuthStateStore } from './auth-states.js';

describeUpstreamAuthStateStoreContract('SQLite', sqliteHarness((db) => createUpstreamAuthStateStore(db)));
describeUpstreamAuthStateStoreContract('PostgreSQL', pgHarness((db) => createPgUpstreamAuthStateStore(db)));
