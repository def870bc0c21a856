import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeServiceSecretStoreContract } from './service-secrets.contract.js';
import { createPgServiceSecretStore } from './service-secrets-pg.js';
import { createServiceSecretStore } from './service-secrets.js';

describeServiceSecretStoreContract('SQLite', sqliteHarness((db) => createServiceSecretStore(db)));
describeServiceSecretStoreContract('PostgreSQL', pgHarness(() => createPgServiceSecretStore()));
