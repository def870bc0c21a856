import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeAdminSessionStoreContract } from './sessions.contract.js';
import { createPgAdminSessionStore } from './sessions-pg.js';
import { createAdminSessionStore } from './sessions.js';

describeAdminSessionStoreContract('SQLite', sqliteHarness((db) => createAdminSessionStore(db)));
describeAdminSessionStoreContract('PostgreSQL', pgHarness((db) => createPgAdminSessionStore(db)));
