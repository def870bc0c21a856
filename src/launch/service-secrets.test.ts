import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeServiceSecretStoreContract } from './service-secrets.contract.js';
import { createServiceSecretStore } from './service-secrets.js';

describeServiceSecretStoreContract('SQLite', sqliteHarness((db) => createServiceSecretStore(db)));
