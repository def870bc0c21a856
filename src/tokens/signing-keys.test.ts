import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeSigningKeyStoreContract } from './signing-keys.contract.js';
import { createPgSigningKeyStore } from './signing-keys-pg.js';
import { createSigningKeyStore } from './signing-keys.js';

describeSigningKeyStoreContract('SQLite', sqliteHarness((db) => createSigningKeyStore(db)));
describeSigningKeyStoreContract('PostgreSQL', pgHarness((db) => createPgSigningKeyStore(db)));
