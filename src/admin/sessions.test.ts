import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeAdminSessionStoreContract } from './sessions.contract.js';
import { createAdminSessionStore } from './sessions.js';

describeAdminSessionStoreContract('SQLite', sqliteHarness((db) => createAdminSessionStore(db)));
