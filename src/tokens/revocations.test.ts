import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeRevocationStoreContract } from './revocations.contract.js';
import { createPgRevocations } from './revocations-pg.js';
import { createRevocations } from './revocations.js';

describeRevocationStoreContract('SQLite', sqliteHarness((db) => createRevocations(db)));
describeRevocationStoreContract('PostgreSQL', pgHarness((db) => createPgRevocations(db)));
