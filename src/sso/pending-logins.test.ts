import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describePendingLoginStoreContract } from './pending-logins.contract.js';
import { createPendingLogins } from './pending-logins.js';

describePendingLoginStoreContract('SQLite', sqliteHarness((db) => createPendingLogins(db)));
